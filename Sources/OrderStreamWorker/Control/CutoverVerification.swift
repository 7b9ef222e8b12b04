import OrderStreamDomain
import PostgreSQL

/// What `cutover` checks once the new color has taken over: every partition has the new owner
/// and epoch, and the events accounted for since the fence (applied, skipped as duplicates,
/// dead-lettered) are exactly the offsets the positions moved by. Every consumed offset is one of
/// the three, in the same transaction as its position, so a difference means effects without
/// positions or positions without effects: the exactly-once promise broken.
public struct CutoverVerification: Sendable, Equatable {
    /// A group's accounting in one snapshot.
    public struct Ledger: Sendable, Equatable {
        /// The sum of the group's positions (`next_offset`), less what operators moved them by
        /// (`offsets reset`): the offsets the workers consumed.
        public var offsets: Int64
        public var applied: Int64
        public var duplicates: Int64
        public var rejected: Int64

        public init(offsets: Int64, applied: Int64, duplicates: Int64, rejected: Int64) {
            self.offsets = offsets
            self.applied = applied
            self.duplicates = duplicates
            self.rejected = rejected
        }

        var accounted: Int64 { applied + duplicates + rejected }

        /// Reads the ledger in one statement (one snapshot). `applied` counts every applied event
        /// of the database (the KPI buckets are not per group): one group per database.
        static func read(group: String, on connection: PGConnection) throws(PGError) -> Ledger {
            let row = try connection.query(
                """
                SELECT coalesce(sum(next_offset - offsets_moved_by_operators), 0)::bigint AS offsets,
                       coalesce(sum(events_duplicate), 0)::bigint AS duplicates,
                       coalesce(sum(events_rejected), 0)::bigint AS rejected,
                       (SELECT coalesce(sum(members), 0)::bigint FROM kpi_minutes
                         WHERE kind = \(ApplyStatement.kind(.event))) AS applied
                FROM partition_positions WHERE consumer_group = $1
                """, [group])
            return Ledger(
                offsets: try row.int64(0, "offsets"), applied: try row.int64(0, "applied"),
                duplicates: try row.int64(0, "duplicates"), rejected: try row.int64(0, "rejected"))
        }
    }

    /// Partitions that do not have the new owner and epoch (`orders[3]`).
    public var notOwned: [String]
    public var atFence: Ledger
    public var now: Ledger

    public var verified: Bool { notOwned.isEmpty && now.offsets - atFence.offsets == now.accounted - atFence.accounted }

    /// `verified: 812 offsets since the fence = 790 applied + 20 duplicates + 2 rejected; every
    /// partition owned by green at epoch 4`, or what failed.
    public func verdict(color: DeploymentColor, epoch: Int64) -> String {
        let offsets = now.offsets - atFence.offsets
        let moved =
            "\(now.applied - atFence.applied) applied + \(now.duplicates - atFence.duplicates) duplicates + "
            + "\(now.rejected - atFence.rejected) rejected"
        var problems: [String] = []
        if !notOwned.isEmpty {
            problems.append("not owned by \(color) at epoch \(epoch): " + notOwned.prefix(12).joined(separator: ", "))
        }
        if offsets != now.accounted - atFence.accounted {
            problems.append("\(offsets) offsets since the fence but \(moved) = \(now.accounted - atFence.accounted)")
        }
        guard problems.isEmpty else { return "FAILED: " + problems.joined(separator: "; ") }
        return
            "verified: \(offsets) offsets since the fence = \(moved); every partition owned by \(color) at epoch \(epoch)"
    }

    /// Partitions of `group` (of `among`, `orders[3]`, when given) not owned by `color` at `epoch`.
    static func notOwned(
        group: String, color: DeploymentColor, epoch: Int64, among: [String]? = nil,
        on connection: PGConnection
    ) throws(PGError) -> [String] {
        let rows = try connection.query(
            """
            SELECT topic || '[' || partition || ']' AS name FROM partition_positions
            WHERE consumer_group = $1 AND (owner_color <> $2 OR epoch <> $3)
              AND ($4::text[] IS NULL OR topic || '[' || partition || ']' = ANY($4::text[]))
            ORDER BY topic, partition
            """, [group, color.rawValue, epoch, among])
        return try (0..<rows.rowCount).map { (row) throws(PGError) in try rows.string(row, "name") }
    }
}
