import Logging

/// Applies migrations that are not applied yet, safely from several processes at once.
///
/// How: a session-level `pg_advisory_lock` serialises runners (each waits, then sees what the
/// others applied); `schema_migrations` is created under that lock; every migration runs in
/// its own transaction together with its `schema_migrations` row, so a crash leaves either
/// both or neither. Applied migrations are checked first: an edited one
/// (`checksumMismatch`), or one unknown to this binary that did not declare itself compatible
/// with older releases (`incompatibleNewerMigration`), stops everything before any change. An
/// unknown one that did declare it (expand/contract: see `Migration`) is reported and tolerated.
///
/// A migration's SQL runs through the simple query protocol (several statements allowed) inside
/// a transaction, so it must not contain BEGIN/COMMIT or statements that cannot run in a
/// transaction (CREATE INDEX CONCURRENTLY, ...).
public struct MigrationRunner: Sendable {
    /// The advisory lock key all runners share (an arbitrary constant: "orderstream migrate").
    public static let defaultLockKey: Int64 = 0x6F73_6D69_6772_6174

    public let connection: PGConnection
    public let lockKey: Int64
    public let logger: Logger

    public init(
        _ connection: PGConnection,
        lockKey: Int64 = MigrationRunner.defaultLockKey,
        logger: Logger = Logger(label: "PostgreSQL.migrations")
    ) {
        self.connection = connection
        self.lockKey = lockKey
        self.logger = logger
    }

    public func migrate(_ migrations: [Migration]) throws(MigrationError) -> MigrationReport {
        let known = try Self.index(migrations)
        do {
            try connection.execute("SELECT pg_advisory_lock($1)", [lockKey])
        } catch {
            throw .database(error)
        }
        defer {
            // If the session died, the server released the lock already; a failure here is
            // harmless either way.
            _ = try? connection.execute("SELECT pg_advisory_unlock($1)", [lockKey])
        }
        return try migrateLocked(migrations, known: known)
    }

    private func migrateLocked(
        _ migrations: [Migration], known: [Int: Migration]
    ) throws(MigrationError) -> MigrationReport {
        let appliedRows: PGResult
        do {
            try connection.execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version int PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """)
            // What an older binary needs to judge a migration it does not know (added in 0.2.0;
            // rows of earlier releases are known to every binary that reads these columns).
            try connection.execute(
                """
                ALTER TABLE schema_migrations
                    ADD COLUMN IF NOT EXISTS release text,
                    ADD COLUMN IF NOT EXISTS compatible_with_older boolean NOT NULL DEFAULT false
                """)
            appliedRows = try connection.query(
                "SELECT version, name, checksum, release, compatible_with_older FROM schema_migrations ORDER BY version"
            )
        } catch {
            throw .database(error)
        }
        var alreadyApplied: [Int] = []
        var newerCompatible: [Int] = []
        let knownUpTo = known.keys.max() ?? 0
        for row in 0..<appliedRows.rowCount {
            let version: Int
            let checksum: String
            let name: String
            let release: String?
            let compatible: Bool
            do {
                version = try appliedRows.int(row, "version")
                checksum = try appliedRows.string(row, "checksum")
                name = try appliedRows.string(row, "name")
                release = try appliedRows.decodeIfPresent(String.self, row: row, column: "release")
                compatible = try appliedRows.bool(row, "compatible_with_older")
            } catch {
                throw .database(error)
            }
            guard let migration = known[version] else {
                guard compatible else {
                    throw .incompatibleNewerMigration(
                        version: version, name: name, release: release, knownUpTo: knownUpTo)
                }
                newerCompatible.append(version)
                continue
            }
            guard migration.checksum == checksum else {
                throw .checksumMismatch(version: version, expected: checksum, found: migration.checksum)
            }
            alreadyApplied.append(version)
        }

        let done = Set(alreadyApplied)
        var applied: [Int] = []
        for migration in migrations.sorted(by: { $0.version < $1.version }) where !done.contains(migration.version) {
            do {
                try connection.transaction { (connection) throws(PGError) in
                    try connection.executeScript(migration.sql)
                    try connection.execute(
                        """
                        INSERT INTO schema_migrations (version, name, checksum, release, compatible_with_older)
                        VALUES ($1, $2, $3, $4, $5)
                        """,
                        [
                            migration.version, migration.name, migration.checksum, migration.release,
                            migration.compatibleWithOlderReleases,
                        ])
                }
            } catch {
                throw .migrationFailed(version: migration.version, error)
            }
            logger.info(
                "applied migration",
                metadata: [
                    PGLogKey.migrationVersion: "\(migration.version)", PGLogKey.migrationName: "\(migration.name)",
                ])
            applied.append(migration.version)
        }
        if !newerCompatible.isEmpty {
            logger.notice(
                "the database has migrations of a newer release, which declared themselves compatible",
                metadata: [PGLogKey.migrationVersions: "\(newerCompatible)"])
        }
        return MigrationReport(applied: applied, alreadyApplied: alreadyApplied, newerCompatible: newerCompatible)
    }

    private static func index(_ migrations: [Migration]) throws(MigrationError) -> [Int: Migration] {
        var known: [Int: Migration] = [:]
        for migration in migrations {
            if known[migration.version] != nil { throw .duplicateVersion(migration.version) }
            known[migration.version] = migration
        }
        return known
    }
}
