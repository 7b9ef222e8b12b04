/// One schema change, applied once and recorded in `schema_migrations`.
///
/// `checksum` is the FNV-1a 64-bit hash (hex) of `sql`; it exists to detect that an
/// already-applied migration was edited afterwards (change detection, not security).
///
/// Expand and contract: `compatibleWithOlderReleases` says whether a binary that does not know
/// this migration (an older release) can keep running against a database that has it. Additive
/// changes (a new table, a nullable column, a new index) can; a contract step that drops or
/// renames what an older release uses cannot. The runner records both this and `release` (the
/// first release that ships the migration), so an older binary meeting the migration can decide
/// without knowing its SQL: start, or refuse naming the release it needs.
public struct Migration: Sendable, Equatable {
    public var version: Int
    public var name: String
    public var sql: String
    /// The first release that ships this migration (for messages; nil when not versioned).
    public var release: String?
    /// Whether releases that do not know this migration keep working against it. Unknown
    /// migrations are refused unless they say so, hence the default `false`.
    public var compatibleWithOlderReleases: Bool

    public init(
        version: Int, name: String, sql: String, release: String? = nil, compatibleWithOlderReleases: Bool = false
    ) {
        self.version = version
        self.name = name
        self.sql = sql
        self.release = release
        self.compatibleWithOlderReleases = compatibleWithOlderReleases
    }

    public var checksum: String { FNV1a64.hex(sql) }
}
