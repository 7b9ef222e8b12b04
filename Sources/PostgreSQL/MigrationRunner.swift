import Logging

/// Applies migrations that are not applied yet, safely from several processes at once.
///
/// How: a session-level `pg_advisory_lock` serialises runners (each waits, then sees what the
/// others applied); `schema_migrations` is created under that lock; every migration runs in
/// its own transaction together with its `schema_migrations` row, so a crash leaves either
/// both or neither. Applied migrations are checked first: an edited one
/// (`checksumMismatch`) or one unknown to this binary (`unknownAppliedVersion`) stops
/// everything before any change.
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

    private func migrateLocked(_ migrations: [Migration], known: [Int: Migration]) throws(MigrationError) -> MigrationReport {
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
            appliedRows = try connection.query("SELECT version, checksum FROM schema_migrations ORDER BY version")
        } catch {
            throw .database(error)
        }
        var alreadyApplied: [Int] = []
        for row in 0..<appliedRows.rowCount {
            let version: Int
            let checksum: String
            do {
                version = try appliedRows.int(row, "version")
                checksum = try appliedRows.string(row, "checksum")
            } catch {
                throw .database(error)
            }
            guard let migration = known[version] else {
                throw .unknownAppliedVersion(version)
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
                try connection.transaction { connection in
                    try connection.executeScript(migration.sql)
                    try connection.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                        [migration.version, migration.name, migration.checksum])
                }
            } catch let error as PGError {
                throw .migrationFailed(version: migration.version, error)
            } catch {
                throw .migrationFailed(version: migration.version, PGError(kind: .other, message: "\(error)"))
            }
            logger.info("applied migration", metadata: ["migration.version": "\(migration.version)", "migration.name": "\(migration.name)"])
            applied.append(migration.version)
        }
        return MigrationReport(applied: applied, alreadyApplied: alreadyApplied)
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
