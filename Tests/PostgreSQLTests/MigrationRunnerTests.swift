import Foundation
import OrderStreamTestSupport
import PostgreSQL
import Testing

extension ServerTests {
    /// Migrations against a real database, each test in its own schema.
    @Suite struct Migrations {
        static let set = [
            Migration(version: 1, name: "orders", sql: "CREATE TABLE orders (id text PRIMARY KEY);"),
            Migration(
                version: 2, name: "amounts",
                sql: """
                    ALTER TABLE orders ADD COLUMN amount bigint NOT NULL DEFAULT 0;
                    CREATE TABLE kpis (name text PRIMARY KEY, value bigint NOT NULL);
                    """),
            Migration(version: 3, name: "seed", sql: "INSERT INTO kpis VALUES ('orders', 0);"),
        ]

        @Test func appliesOnceThenNothing() throws {
            try TestDatabase.withSchema("mig") { configuration in
                let connection = try PGConnection.connect(configuration)
                defer { connection.close() }
                let runner = MigrationRunner(connection)
                let first = try runner.migrate(Self.set)
                #expect(first == MigrationReport(applied: [1, 2, 3], alreadyApplied: []))
                let second = try runner.migrate(Self.set)
                #expect(second == MigrationReport(applied: [], alreadyApplied: [1, 2, 3]))

                let rows = try connection.query(
                    "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version")
                #expect(rows.rowCount == 3)
                #expect(try rows.string(1, "name") == "amounts")
                #expect(try rows.string(1, "checksum") == Self.set[1].checksum)
                #expect(try connection.query("SELECT value FROM kpis").int64(0, "value") == 0)

                let more = try runner.migrate(
                    Self.set + [Migration(version: 4, name: "idx", sql: "CREATE INDEX ON orders (amount);")])
                #expect(more == MigrationReport(applied: [4], alreadyApplied: [1, 2, 3]))
            }
        }

        @Test func changedChecksumIsRefused() throws {
            try TestDatabase.withSchema("migsum") { configuration in
                let connection = try PGConnection.connect(configuration)
                defer { connection.close() }
                let runner = MigrationRunner(connection)
                _ = try runner.migrate(Self.set)
                var edited = Self.set
                edited[1].sql += "\n-- edited"
                let error = try #require(throws: MigrationError.self) { try runner.migrate(edited) }
                #expect(
                    error == .checksumMismatch(version: 2, expected: Self.set[1].checksum, found: edited[1].checksum))
            }
        }

        /// A newer release's migration that did not declare itself compatible (the default) is
        /// refused by an older binary, naming it and the release it needs.
        @Test func anUnknownIncompatibleMigrationIsRefusedNamingTheRelease() throws {
            try TestDatabase.withSchema("migunk") { configuration in
                let connection = try PGConnection.connect(configuration)
                defer { connection.close() }
                let runner = MigrationRunner(connection)
                var newer = Self.set
                newer[2].release = "2.0.0"
                _ = try runner.migrate(newer)
                let error = try #require(throws: MigrationError.self) { try runner.migrate(Array(Self.set.prefix(2))) }
                #expect(error == .incompatibleNewerMigration(version: 3, name: "seed", release: "2.0.0", knownUpTo: 2))
                #expect("\(error)".contains("run release 2.0.0 or later"), "\(error)")
            }
        }

        /// Expand: a newer release's additive migration, declared compatible, lets the older
        /// binary run (and migrate what it knows) against it; the report names it.
        @Test func anUnknownCompatibleMigrationIsTolerated() throws {
            try TestDatabase.withSchema("migexp") { configuration in
                let connection = try PGConnection.connect(configuration)
                defer { connection.close() }
                let runner = MigrationRunner(connection)
                let additive = Migration(
                    version: 4, name: "note", sql: "ALTER TABLE orders ADD COLUMN note text;",
                    release: "1.1.0", compatibleWithOlderReleases: true)
                _ = try runner.migrate(Self.set + [additive])
                let rows = try connection.query(
                    "SELECT release, compatible_with_older FROM schema_migrations WHERE version = 4")
                #expect(try rows.string(0, "release") == "1.1.0")
                #expect(try rows.bool(0, "compatible_with_older"))
                let older = try runner.migrate(Self.set)
                #expect(older == MigrationReport(applied: [], alreadyApplied: [1, 2, 3], newerCompatible: [4]))
                // An incompatible one after it still refuses.
                let contract = Migration(
                    version: 5, name: "drop_amount", sql: "ALTER TABLE orders DROP COLUMN amount;",
                    release: "2.0.0", compatibleWithOlderReleases: false)
                _ = try runner.migrate(Self.set + [additive, contract])
                let error = try #require(throws: MigrationError.self) { try runner.migrate(Self.set) }
                #expect(
                    error
                        == .incompatibleNewerMigration(version: 5, name: "drop_amount", release: "2.0.0", knownUpTo: 3))
                // The release that knows everything runs.
                #expect(try runner.migrate(Self.set + [additive, contract]).alreadyApplied == [1, 2, 3, 4, 5])
            }
        }

        @Test func failingMigrationRollsBackWithItsRow() throws {
            try TestDatabase.withSchema("migfail") { configuration in
                let connection = try PGConnection.connect(configuration)
                defer { connection.close() }
                let runner = MigrationRunner(connection)
                let broken = [
                    Self.set[0],
                    Migration(
                        version: 2, name: "broken", sql: "CREATE TABLE half (a int); SELECT * FROM no_such_table;"),
                ]
                let error = try #require(throws: MigrationError.self) { try runner.migrate(broken) }
                guard case .migrationFailed(let version, let cause) = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
                #expect(version == 2)
                #expect(cause.sqlState == "42P01")
                #expect(try connection.query("SELECT to_regclass('half') IS NULL AS gone").bool(0, "gone"))
                #expect(
                    try connection.query("SELECT array_agg(version)::text AS v FROM schema_migrations").string(0, "v")
                        == "{1}")
                // The lock was released: another run proceeds.
                #expect(
                    try runner.migrate(Array(Self.set.prefix(1))) == MigrationReport(applied: [], alreadyApplied: [1]))
            }
        }

        @Test func fourConcurrentRunnersApplyEachMigrationOnce() async throws {
            let schema = TestEnvironment.uniqueName("migconc")
            let admin = try TestDatabase.connect()
            defer { admin.close() }
            _ = try TestDatabase.run(admin, "CREATE SCHEMA \(schema)")
            defer { TestDatabase.runIgnoringErrors(admin, "DROP SCHEMA \(schema) CASCADE") }
            let configuration = try TestDatabase.configuration().withParameter("options", "-c search_path=\(schema)")
            // Slow migrations widen the window in which runners overlap.
            let migrations =
                Self.set + [
                    Migration(version: 5, name: "slow", sql: "SELECT pg_sleep(0.3); CREATE TABLE slow (a int);")
                ]
            let connections = try (0..<4).map { _ in try PGConnection.connect(configuration) }
            defer { connections.forEach { $0.close() } }

            let outcomes = await TestEnvironment.onThreads(4) { index -> Result<MigrationReport, MigrationError> in
                Result { () throws(MigrationError) -> MigrationReport in
                    try MigrationRunner(connections[index]).migrate(migrations)
                }
            }
            let reports = try outcomes.map { try $0.get() }
            let applied = reports.flatMap(\.applied).sorted()
            #expect(applied == [1, 2, 3, 5], "each migration applied by exactly one runner: \(reports)")
            for report in reports {
                #expect((report.applied + report.alreadyApplied).sorted() == [1, 2, 3, 5])
            }
            let rows = try TestDatabase.run(admin, "SELECT version FROM \(schema).schema_migrations ORDER BY version")
            #expect(try (0..<rows.rowCount).map { try rows.int($0, "version") } == [1, 2, 3, 5])
        }
    }
}
