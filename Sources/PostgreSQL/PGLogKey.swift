/// Every log metadata key this layer uses, in one place so dashboards can rely on them.
enum PGLogKey {
    static let backendPID = "pg.backend_pid"
    static let connection = "pg.connection"
    static let error = "pg.error"
    static let migrationName = "migration.name"
    static let migrationVersion = "migration.version"
    static let migrationVersions = "migration.versions"
}
