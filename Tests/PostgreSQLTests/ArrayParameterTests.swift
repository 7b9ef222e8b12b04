import OrderStreamTestSupport
import PostgreSQL
import Testing

extension ServerTests {
    /// Array parameters through unnest, with every character that needs escaping.
    @Suite struct ArrayParameters {
        @Test func tenThousandElementsThroughUnnest() throws {
            let connection = try TestDatabase.connect()
            defer { connection.close() }
            let table = TestEnvironment.uniqueName("arrays")
            try connection.execute("CREATE TABLE \(table) (id bigint PRIMARY KEY, label text, note text, small int)")
            defer { _ = try? connection.execute("DROP TABLE \(table)") }

            let tricky = [
                "plain", "quote\"inside", "back\\slash", "comma,here", "{braces}", "NULL", "", " padded ",
                "tab\tnew\nline", "ünïcødé 🚀", "\\\"", "'single'", "é\"🚀\\ü",
            ]
            let count = 10_000
            let ids = (0..<count).map { Int64($0) * 3 - 5000 }
            let labels = (0..<count).map { "\(tricky[$0 % tricky.count])#\($0)" }
            let notes: [String?] = (0..<count).map { $0 % 7 == 0 ? nil : tricky[($0 * 5) % tricky.count] }
            let smalls = (0..<count).map { Int32($0 % 1000) - 500 }

            let inserted = try connection.execute(
                "INSERT INTO \(table) (id, label, note, small) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[])",
                [ids, labels, notes, smalls])
            #expect(inserted == count)

            let result = try connection.query("SELECT id, label, note, small FROM \(table) ORDER BY id")
            #expect(result.rowCount == count)
            var mismatches = 0
            for row in 0..<count {
                if try result.int64(row, "id") != ids[row] { mismatches += 1 }
                if try result.string(row, "label") != labels[row] { mismatches += 1 }
                if try result[row, "note"] as String? != notes[row] { mismatches += 1 }
                if try result.int32(row, "small") != smalls[row] { mismatches += 1 }
            }
            #expect(mismatches == 0)
            #expect(
                try connection.query("SELECT count(*) AS n FROM \(table) WHERE note IS NULL").int(0, "n")
                    == (0..<count).filter { $0 % 7 == 0 }.count)
        }

        @Test func emptyArraysAndLiteralNullString() throws {
            let connection = try TestDatabase.connect()
            defer { connection.close() }
            let empty = try connection.query("SELECT count(*) AS n FROM unnest($1::text[])", [[String]()])
            #expect(try empty.int(0, "n") == 0)
            let values: [String?] = ["NULL", nil]
            let result = try connection.query(
                "SELECT x, x IS NULL AS isnull FROM unnest($1::text[]) WITH ORDINALITY AS u(x, i) ORDER BY i", [values])
            #expect(try result[0, "x"] as String? == "NULL")
            #expect(try result.bool(0, "isnull") == false)
            #expect(try result.bool(1, "isnull") == true)
        }
    }
}
