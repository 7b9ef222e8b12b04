/// Why migrating refused or failed. Safe to print (no connection secrets).
public enum MigrationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An applied migration's SQL changed: `expected` is the checksum recorded when it was
    /// applied, `found` the checksum of the SQL this binary has.
    case checksumMismatch(version: Int, expected: String, found: String)
    /// The database has a migration this binary does not know (a newer release applied it), and
    /// that migration declared that releases before `release` cannot run against it.
    case incompatibleNewerMigration(version: Int, name: String, release: String?, knownUpTo: Int)
    /// Two migrations share a version.
    case duplicateVersion(Int)
    /// Migration `version` failed; it was rolled back.
    case migrationFailed(version: Int, PGError)
    /// Locking, reading or recording failed.
    case database(PGError)

    public var description: String {
        switch self {
        case .checksumMismatch(let version, let expected, let found):
            return
                "migration \(version) was changed after it was applied (recorded checksum \(expected), file checksum \(found)); refusing to continue"
        case .incompatibleNewerMigration(let version, let name, let release, let knownUpTo):
            let needed = release.map { "release \($0) or later" } ?? "a newer release"
            return "the database has migration \(version) (\(name)) applied, which this binary (migrations up to "
                + "\(knownUpTo)) does not know and which older releases cannot run against: run \(needed)"
        case .duplicateVersion(let version):
            return "two migrations have version \(version)"
        case .migrationFailed(let version, let error):
            return "migration \(version) failed and was rolled back: \(error)"
        case .database(let error):
            return "migration bookkeeping failed: \(error)"
        }
    }
}
