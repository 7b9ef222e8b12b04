import Foundation
import PostgreSQL
import Testing

extension ServerTests {
    /// LISTEN/NOTIFY, COPY FROM STDIN and pipeline mode.
    @Suite struct Streaming {
        @Test func listenNotifyRoundTrip() throws {
            let listener = try TestDatabase.connect()
            let sender = try TestDatabase.connect()
            defer { listener.close(); sender.close() }
            let channel = TestDatabase.uniqueName("Chan")  // mixed case: needs quoting
            try listener.listen(channel)

            let started = ContinuousClock.now
            #expect(try listener.waitForNotifications(timeout: .milliseconds(200)).isEmpty)
            #expect(ContinuousClock.now - started >= .milliseconds(150))

            try sender.query("SELECT pg_notify($1, $2)", [channel, "payload 1"])
            try sender.query("SELECT pg_notify($1, $2)", [channel, "payload 2"])
            var received: [PGNotification] = []
            let deadline = ContinuousClock.now + .seconds(5)
            while received.count < 2, ContinuousClock.now < deadline {
                received += try listener.waitForNotifications(timeout: .seconds(1))
            }
            #expect(received.map(\.payload) == ["payload 1", "payload 2"])
            #expect(received.allSatisfy { $0.channel == channel && $0.senderPID == sender.backendPID })

            // After a reconnect the LISTEN is re-issued.
            try sender.query("SELECT pg_terminate_backend($1::int)", [listener.backendPID])
            _ = try? listener.waitForNotifications(timeout: .seconds(1))
            _ = try? listener.query("SELECT 1")
            try listener.query("SELECT 1")
            try sender.query("SELECT pg_notify($1, $2)", [channel, "after reconnect"])
            let again = try listener.waitForNotifications(timeout: .seconds(5))
            #expect(again.map(\.payload) == ["after reconnect"])
        }

        @Test func copyInStreamsRows() throws {
            let connection = try TestDatabase.connect()
            defer { connection.close() }
            let table = TestDatabase.uniqueName("copyin")
            try connection.execute("CREATE TABLE \(table) (id bigint, body text)")
            defer { _ = try? connection.execute("DROP TABLE \(table)") }
            let bodies: [String?] = ["tab\there", "new\nline", "back\\slash", nil, "\\N literal", "plain", "ünï"]
            let count = 20_000
            let lines = (0..<count).lazy.map { PGCopyText.line([String($0), bodies[$0 % bodies.count]]) }
            let copied = try connection.copyIn(sql: "COPY \(table) (id, body) FROM STDIN", rows: lines)
            #expect(copied == count)
            let result = try connection.query("SELECT id, body FROM \(table) ORDER BY id")
            #expect(result.rowCount == count)
            var mismatches = 0
            for row in 0..<count where try result[row, "body"] as String? != bodies[row % bodies.count] {
                mismatches += 1
            }
            #expect(mismatches == 0)
        }

        @Test func copyInBadDataFailsAndConnectionStaysUsable() throws {
            let connection = try TestDatabase.connect()
            defer { connection.close() }
            let table = TestDatabase.uniqueName("copybad")
            try connection.execute("CREATE TABLE \(table) (id bigint)")
            defer { _ = try? connection.execute("DROP TABLE \(table)") }
            let error = try #require(throws: PGError.self) {
                try connection.copyIn(sql: "COPY \(table) FROM STDIN", rows: ["1", "not-a-number", "3"])
            }
            #expect(error.sqlState == "22P02")
            #expect(try connection.query("SELECT count(*) AS n FROM \(table)").int(0, "n") == 0)
            let notCopy = try #require(throws: PGError.self) { try connection.copyIn(sql: "SELECT 1", rows: ["x"]) }
            #expect(notCopy.kind == .other)
            #expect(try connection.query("SELECT 5 AS five").int(0, "five") == 5)
        }

        @Test func pipelineReturnsResultsInOrder() throws {
            let connection = try TestDatabase.connect()
            defer { connection.close() }
            let table = TestDatabase.uniqueName("pipe")
            try connection.execute("CREATE TABLE \(table) (id int PRIMARY KEY, label text)")
            defer { _ = try? connection.execute("DROP TABLE \(table)") }
            let results = try connection.pipeline([
                ("INSERT INTO \(table) SELECT * FROM unnest($1::int[], $2::text[])", [[Int32(1), 2, 3], ["a", "b", "c"]]),
                ("SELECT $1::int AS n", [10]),
                ("UPDATE \(table) SET label = $1 WHERE id >= $2", ["z", 2]),
                ("SELECT string_agg(label, ',' ORDER BY id) AS labels FROM \(table)", []),
            ])
            #expect(results.count == 4)
            #expect(results[0].affectedRows == 3)
            #expect(try results[1].int(0, "n") == 10)
            #expect(results[2].affectedRows == 2)
            #expect(try results[3].string(0, "labels") == "a,z,z")
            #expect(try connection.pipeline([]).isEmpty)
        }

        @Test func pipelineErrorAbortsTheRest() throws {
            let connection = try TestDatabase.connect()
            defer { connection.close() }
            let table = TestDatabase.uniqueName("pipeerr")
            try connection.execute("CREATE TABLE \(table) (id int PRIMARY KEY)")
            defer { _ = try? connection.execute("DROP TABLE \(table)") }
            try connection.execute("INSERT INTO \(table) VALUES (2)")

            let error = try #require(throws: PGError.self) {
                try connection.pipeline([
                    ("INSERT INTO \(table) VALUES ($1)", [1]),
                    ("INSERT INTO \(table) VALUES ($1)", [2]),  // duplicate
                    ("INSERT INTO \(table) VALUES ($1)", [3]),  // skipped by the server
                ])
            }
            #expect(error.kind == .uniqueViolation)
            #expect(error.statementIndex == 1)
            // The implicit transaction up to the sync point rolled back: 1 is gone, 3 never ran.
            let rows = try connection.query("SELECT id FROM \(table) ORDER BY id")
            #expect((0..<rows.rowCount).map { try! rows.int(0 + $0, "id") } == [2])
            // The connection is out of pipeline mode and usable.
            #expect(try connection.query("SELECT 1 AS one").int(0, "one") == 1)
            let again = try connection.pipeline([("SELECT 1 AS one", []), ("SELECT 2 AS two", [])])
            #expect(try again.map { try $0.int(0, 0) } == [1, 2])
        }
    }
}
