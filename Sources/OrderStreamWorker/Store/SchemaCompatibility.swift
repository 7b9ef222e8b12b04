import OrderStreamDomain
import PostgreSQL

/// Whether the workers that run can keep running against the schema (expand/contract): a worker
/// whose binary does not know a migration can run against it only when that migration declared
/// itself compatible with older releases. `migrate --plan` reports it for the migrations about
/// to be applied; `cutover` refuses to hand over to a color that cannot.
public struct SchemaCompatibility: Sendable, Equatable {
    /// A migration as the database records it (or as this binary would apply it).
    public struct MigrationInfo: Sendable, Equatable {
        public var version: Int
        public var name: String
        public var release: String?
        public var compatibleWithOlder: Bool

        public init(version: Int, name: String, release: String?, compatibleWithOlder: Bool) {
            self.version = version
            self.name = name
            self.release = release
            self.compatibleWithOlder = compatibleWithOlder
        }

        init(_ migration: Migration) {
            self.init(
                version: migration.version, name: migration.name, release: migration.release,
                compatibleWithOlder: migration.compatibleWithOlderReleases)
        }

        /// `5 (drop_amount, needs release 0.3.0 or later)`.
        public var needs: String {
            "\(version) (\(name), needs release \(release.map { "\($0) or later" } ?? "newer than the worker's"))"
        }
    }

    /// A live worker and what its binary knows.
    public struct RunningWorker: Sendable, Equatable {
        public var instanceId: String
        public var color: String
        /// nil: a release before 0.2.0, which did not record it.
        public var release: String?
        /// The newest migration its binary knows.
        public var knownMigration: Int
    }

    /// Releases before 0.2.0 did not record what they know: migrations 1 and 2.
    static let knownByUnrecordedReleases = 2

    /// The migrations applied (or, for a plan, applied and about to be).
    public var migrations: [MigrationInfo]

    public init(migrations: [MigrationInfo]) {
        self.migrations = migrations
    }

    /// What keeps `worker` from running: migrations newer than it knows that declared that
    /// older releases cannot run against them.
    public func blockers(for worker: RunningWorker) -> [MigrationInfo] {
        migrations.filter { $0.version > worker.knownMigration && !$0.compatibleWithOlder }
    }

    /// The same with the migrations this binary would apply (a plan).
    public func adding(pending: [Migration]) -> SchemaCompatibility {
        let applied = Set(migrations.map(\.version))
        return SchemaCompatibility(
            migrations: migrations + pending.filter { !applied.contains($0.version) }.map(MigrationInfo.init))
    }

    // MARK: reading

    /// The migrations `schema_migrations` records (none on a new database).
    public static func read(on connection: PGConnection) throws(PGError) -> SchemaCompatibility {
        let exists = try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS present")
        guard try exists.bool(0, "present") else { return SchemaCompatibility(migrations: []) }
        let columns = try connection.query(
            """
            SELECT count(*) AS n FROM information_schema.columns
            WHERE table_name = 'schema_migrations' AND table_schema = current_schema()
              AND column_name IN ('release', 'compatible_with_older')
            """)
        // Recorded by a release before 0.2.0: no compatibility columns, and no newer migrations.
        let sql =
            try columns.int(0, "n") == 2
            ? "SELECT version, name, release, compatible_with_older FROM schema_migrations ORDER BY version"
            : "SELECT version, name, NULL::text AS release, false AS compatible_with_older FROM schema_migrations ORDER BY version"
        let rows = try connection.query(sql)
        var migrations: [MigrationInfo] = []
        for row in 0..<rows.rowCount {
            migrations.append(
                MigrationInfo(
                    version: try rows.int(row, "version"), name: try rows.string(row, "name"),
                    release: try rows.decodeIfPresent(String.self, row: row, column: "release"),
                    compatibleWithOlder: try rows.bool(row, "compatible_with_older")))
        }
        return SchemaCompatibility(migrations: migrations)
    }

    /// The workers of `group` (of every group when nil; of `color`, when given) whose heartbeat
    /// is recent.
    public static func runningWorkers(
        group: String?, color: DeploymentColor? = nil, liveWithinSeconds: Double = 15,
        on connection: PGConnection
    ) throws(PGError) -> [RunningWorker] {
        let present = try connection.query("SELECT to_regclass('workers') IS NOT NULL AS present")
        guard try present.bool(0, "present") else { return [] }
        let rows = try connection.query(
            """
            SELECT instance_id, color, release, coalesce(known_migration, $3) AS known_migration FROM workers
            WHERE ($1::text IS NULL OR consumer_group = $1) AND ($2::text IS NULL OR color = $2)
              AND heartbeat_at > now() - make_interval(secs => $4)
            ORDER BY color, instance_id
            """, [group, color?.rawValue, knownByUnrecordedReleases, liveWithinSeconds])
        var workers: [RunningWorker] = []
        for row in 0..<rows.rowCount {
            workers.append(
                RunningWorker(
                    instanceId: try rows.string(row, "instance_id"), color: try rows.string(row, "color"),
                    release: try rows.decodeIfPresent(String.self, row: row, column: "release"),
                    knownMigration: try rows.int(row, "known_migration")))
        }
        return workers
    }
}
