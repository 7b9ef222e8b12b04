import PostgreSQL

/// The schema's migrations, shipped inside the binary (SwiftPM embeds each `Migrations/*.sql`
/// file listed in Package.swift, so a deployed binary needs no resource folder).
/// A test checks that every `.sql` file in the folder is listed here.
public enum SchemaMigrations {
    /// Each with the release that ships it and whether older releases keep working against it
    /// (expand/contract, see `Migration`): additive changes say yes; a step that drops or
    /// renames what an older release uses says no, and ships in a later release than the
    /// change that stopped using it (docs/OPERATIONS.md, "Schema changes in two releases").
    public static let all: [Migration] = [
        Migration(
            version: 1, name: "schema", sql: String(decoding: PackageResources.m0001_schema_sql, as: UTF8.self),
            release: "0.1.0", compatibleWithOlderReleases: false),
        Migration(
            version: 2, name: "cutover", sql: String(decoding: PackageResources.m0002_cutover_sql, as: UTF8.self),
            release: "0.1.0", compatibleWithOlderReleases: true),
        Migration(
            version: 3, name: "deployment", sql: String(decoding: PackageResources.m0003_deployment_sql, as: UTF8.self),
            release: "0.2.0", compatibleWithOlderReleases: true),
        Migration(
            version: 4, name: "restore_points",
            sql: String(decoding: PackageResources.m0004_restore_points_sql, as: UTF8.self),
            release: "0.2.0", compatibleWithOlderReleases: true),
        Migration(
            version: 5, name: "operations", sql: String(decoding: PackageResources.m0005_operations_sql, as: UTF8.self),
            release: "0.3.0", compatibleWithOlderReleases: true),
        Migration(
            version: 6, name: "dlq_replays",
            sql: String(decoding: PackageResources.m0006_dlq_replays_sql, as: UTF8.self),
            release: "0.3.0", compatibleWithOlderReleases: true),
        Migration(
            version: 7, name: "canary", sql: String(decoding: PackageResources.m0007_canary_sql, as: UTF8.self),
            release: "0.3.0", compatibleWithOlderReleases: true),
        Migration(
            version: 8, name: "member_columns",
            sql: String(decoding: PackageResources.m0008_member_columns_sql, as: UTF8.self),
            release: "0.4.0", compatibleWithOlderReleases: false),
    ]

    /// The newest migration this binary knows.
    public static var knownUpTo: Int { all.map(\.version).max() ?? 0 }

    /// Applies what is missing (safe from several processes at once) and refuses to go on when
    /// an applied migration's checksum changed.
    public static func apply(on connection: PGConnection) throws(MigrationError) -> MigrationReport {
        try MigrationRunner(connection).migrate(all)
    }

    /// `apply`, unless a missing migration that older releases cannot run against would land
    /// under a live worker (of any group) whose binary does not know it: then nothing is applied
    /// and the error names the migration and the workers. Such a migration is run while no older
    /// worker runs (docs/OPERATIONS.md, "Upgrading to 0.4.0"); `migrate` and a starting worker
    /// both call this, so a new color started beside an old one cannot pull the schema from under
    /// it. (A worker that registers between this check and the migration is refused by its own
    /// binary at its next start, and its statements fail, committing nothing, until it stops.)
    public static func applyUnlessLiveWorkersBlock(on connection: PGConnection) throws -> MigrationReport {
        // Under the runners' advisory lock, so that the check never reads a schema another
        // runner is migrating; the lock is re-entrant for this session, so `apply` takes it too.
        _ = try connection.execute("SELECT pg_advisory_lock($1)", [MigrationRunner.defaultLockKey])
        defer { _ = try? connection.execute("SELECT pg_advisory_unlock($1)", [MigrationRunner.defaultLockKey]) }
        let schema = try SchemaCompatibility.read(on: connection)
        let applied = Set(schema.migrations.map(\.version))
        let pending = all.filter { !applied.contains($0.version) }
        if pending.contains(where: { !$0.compatibleWithOlderReleases }) {
            let after = SchemaCompatibility(migrations: schema.migrations).adding(pending: pending)
            let blocked = try SchemaCompatibility.runningWorkers(group: nil, on: connection).compactMap { worker in
                let blockers = after.blockers(for: worker)
                return blockers.isEmpty ? nil : (worker, blockers)
            }
            if !blocked.isEmpty {
                throw LiveWorkersBlockMigration(
                    migrations: Array(Set(blocked.flatMap(\.1).map(\.needs))).sorted(),
                    workers: blocked.map { worker, _ in
                        "\(worker.instanceId) (\(worker.color), release \(worker.release ?? "before 0.2.0"), "
                            + "migrations up to \(worker.knownMigration))"
                    })
            }
        }
        return try apply(on: connection)
    }
}

/// A migration that older releases cannot run against, refused while such workers run.
public struct LiveWorkersBlockMigration: Error, CustomStringConvertible, Equatable {
    public var migrations: [String]
    public var workers: [String]

    public var description: String {
        "migration \(migrations.joined(separator: ", ")) stops older releases, and these live workers run one: "
            + workers.joined(separator: ", ")
            + ". Stop (drain) them first, then run `orderstream migrate`; see docs/OPERATIONS.md, \"Upgrading to 0.4.0\""
    }
}
