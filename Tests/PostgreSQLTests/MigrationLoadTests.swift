import Foundation
import PostgreSQL
import Testing

/// Reading migration files from a folder; no server needed.
@Suite
struct MigrationLoadTests {
    private func folder(_ files: [String: String]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return url
    }

    @Test func loadsSortedAndIgnoresOtherFiles() throws {
        let url = try folder([
            "0002_add_index.sql": "CREATE INDEX i ON t (a);",
            "0001_create_table.sql": "CREATE TABLE t (a int);",
            "0010_more.sql": "SELECT 1;",
            "README.md": "not a migration",
        ])
        defer { try? FileManager.default.removeItem(at: url) }
        let migrations = try Migration.load(directory: url)
        #expect(migrations.map(\.version) == [1, 2, 10])
        #expect(migrations.map(\.name) == ["create_table", "add_index", "more"])
        #expect(migrations[0].sql == "CREATE TABLE t (a int);")
        #expect(migrations[0].checksum == Migration(version: 9, name: "y", sql: "CREATE TABLE t (a int);").checksum)
    }

    @Test func rejectsBadNamesAndDuplicates() throws {
        let bad = try folder(["create.sql": "SELECT 1;"])
        defer { try? FileManager.default.removeItem(at: bad) }
        #expect(throws: MigrationError.invalidFileName("create.sql")) { try Migration.load(directory: bad) }

        let duplicate = try folder(["0001_a.sql": "SELECT 1;", "001_b.sql": "SELECT 2;"])
        defer { try? FileManager.default.removeItem(at: duplicate) }
        #expect(throws: MigrationError.duplicateVersion(1)) { try Migration.load(directory: duplicate) }

        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID().uuidString)")
        #expect(throws: MigrationError.self) { try Migration.load(directory: missing) }
    }
}
