import PostgreSQL

/// The schema's migrations, shipped inside the binary (SwiftPM embeds each `Migrations/*.sql`
/// file listed in Package.swift, so a deployed binary needs no resource folder).
/// A test checks that every `.sql` file in the folder is listed here.
public enum SchemaMigrations {
    public static let all: [Migration] = [
        Migration(version: 1, name: "schema", sql: String(decoding: PackageResources.m0001_schema_sql, as: UTF8.self)),
        Migration(version: 2, name: "cutover", sql: String(decoding: PackageResources.m0002_cutover_sql, as: UTF8.self)),
        Migration(version: 3, name: "initial_color",
                  sql: String(decoding: PackageResources.m0003_initial_color_sql, as: UTF8.self)),
    ]

    /// Applies what is missing (safe from several processes at once) and refuses to go on when
    /// an applied migration's checksum changed.
    public static func apply(on connection: PGConnection) throws(MigrationError) -> MigrationReport {
        try MigrationRunner(connection).migrate(all)
    }
}
