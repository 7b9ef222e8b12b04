import OrderStreamTestSupport
import PostgreSQL
import Testing

extension ServerTests {
    /// Parameters in, typed values out, NULL handling and decoding errors.
    @Suite struct QueryDecoding {
        @Test func typedDecodingAndNulls() throws {
            let connection = try TestDatabase.connect()
            defer { connection.close() }
            let table = TestEnvironment.uniqueName("decode")
            try connection.execute(
                "CREATE TABLE \(table) (id bigint PRIMARY KEY, name text, small int, flag bool, ratio float8)")
            defer { _ = try? connection.execute("DROP TABLE \(table)") }

            let inserted = try connection.execute(
                "INSERT INTO \(table) VALUES ($1, $2, $3, $4, $5), ($6, NULL, NULL, NULL, NULL)",
                [Int64(9_000_000_000), "héllo \"world\"", Int32(-7), true, 2.5, 2])
            #expect(inserted == 2)

            let result = try connection.query("SELECT id, name, small, flag, ratio FROM \(table) ORDER BY id DESC")
            #expect(result.rowCount == 2)
            #expect(result.columnCount == 5)
            #expect(result.columnNames == ["id", "name", "small", "flag", "ratio"])
            #expect(result.affectedRows == 2)
            #expect(try result.int64(0, "id") == 9_000_000_000)
            #expect(try result[0, "name"] as String? == "héllo \"world\"")
            #expect(try result.int32(0, "small") == -7)
            #expect(try result.int(0, 2) == -7)
            #expect(try result.bool(0, "flag") == true)
            #expect(try result.double(0, "ratio") == 2.5)
            #expect(try result.int64(1, "id") == 2)
            #expect(try result[1, "name"] as String? == nil)
            #expect(try result[1, "flag"] as Bool? == nil)

            let nullError = try #require(throws: PGError.self) { try result.string(1, "name") }
            #expect(nullError.kind == .decoding)
            #expect(nullError.message.contains("\"name\""))

            let missing = try #require(throws: PGError.self) { try result.string(0, "nope") }
            #expect(missing.kind == .decoding)
            #expect(missing.message.contains("nope"))
        }

        @Test func badNumberNamesTheColumn() throws {
            let connection = try TestDatabase.connect()
            defer { connection.close() }
            let result = try connection.query("SELECT 'abc'::text AS amount, 3000000000::bigint AS big")
            let error = try #require(throws: PGError.self) { try result.int64(0, "amount") }
            #expect(error.kind == .decoding)
            #expect(error.message.contains("\"amount\""))
            let overflow = try #require(throws: PGError.self) { try result.int32(0, "big") }
            #expect(overflow.message.contains("\"big\""))
        }

        @Test func parametersRoundTrip() throws {
            let connection = try TestDatabase.connect()
            defer { connection.close() }
            let params: [PGValue?] = [Int64.max, false, -0.125, Int32.min, nil, 42, "it's; DROP TABLE x"]
            let result = try connection.query(
                "SELECT $1::int8 AS a, $2::bool AS b, $3::float8 AS c, $4::int4 AS d, $5::text AS e, $6::int AS f, $7::text AS g",
                params)
            #expect(try result.int64(0, "a") == Int64.max)
            #expect(try result.bool(0, "b") == false)
            #expect(try result.double(0, "c") == -0.125)
            #expect(try result.int32(0, "d") == Int32.min)
            #expect(try result[0, "e"] as String? == nil)
            #expect(try result.int(0, "f") == 42)
            #expect(try result.string(0, "g") == "it's; DROP TABLE x")
        }

        @Test func syntaxErrorIsOtherAndConnectionStaysUsable() throws {
            let connection = try TestDatabase.connect()
            defer { connection.close() }
            let error = try #require(throws: PGError.self) { try connection.query("SELEC 1") }
            #expect(error.kind == .other)
            #expect(error.sqlState == "42601")
            #expect(!error.isTransient)
            #expect(try connection.query("SELECT 1 AS one").int(0, "one") == 1)
        }

        @Test func asyncWrappersWork() async throws {
            let connection = try await PGConnection.connect(try TestDatabase.configuration())
            defer { connection.close() }
            let result = try await connection.query("SELECT $1::int + 1 AS n", [41])
            #expect(try result.int(0, "n") == 42)
        }

        @Test func cancellingTheTaskCancelsTheStatement() async throws {
            let connection = try TestDatabase.connect()
            defer { connection.close() }
            let task = Task { () async throws(PGError) -> PGResult in
                try await connection.query("SELECT pg_sleep(20)")
            }
            try await Task.sleep(for: .milliseconds(300))
            let started = ContinuousClock.now
            task.cancel()
            let outcome = await task.result
            #expect(ContinuousClock.now - started < .seconds(10))
            guard case .failure(let failure) = outcome else {
                Issue.record("pg_sleep(20) was not cancelled")
                return
            }
            let error = try #require(failure as? PGError)
            #expect(error.kind == .queryCanceled)
            #expect(error.sqlState == "57014")
        }
    }
}
