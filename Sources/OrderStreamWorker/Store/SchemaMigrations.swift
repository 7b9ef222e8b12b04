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
}
