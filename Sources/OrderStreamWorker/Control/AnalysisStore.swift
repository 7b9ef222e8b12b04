import Foundation
import OrderStreamDomain
import PostgreSQL

/// The `analyses` rows: one analysis per cutover or canary step, with its limits, baseline and
/// decision, so that a restarted `cutover --analyze` resumes instead of starting over.
public enum AnalysisStore {
    public struct Record: Sendable, Equatable {
        public var id: Int64
        public var epoch: Int64
        /// `canary` or `cutover`.
        public var kind: Cutover.Kind
        public var fromColor: DeploymentColor
        public var toColor: DeploymentColor
        /// The watched partitions, `orders[3]`.
        public var partitions: [String]
        public var startedAt: String
        public var endsAt: Date
        public var limits: CanaryAnalysis.Limits
        public var baselineConsumed: Int64
        public var baselineRejected: Int64
    }

    /// The group's running analysis, if any.
    public static func running(group: String, on connection: PGConnection) throws(PGError) -> Record? {
        let rows = try connection.query(
            """
            SELECT id, epoch, kind, from_color, to_color, partitions::text AS partitions,
                   to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS started,
                   extract(epoch FROM ends_at)::float8 AS ends, max_dlq_rate, max_p99_seconds, max_lag_seconds,
                   baseline_consumed, baseline_rejected
            FROM analyses WHERE consumer_group = $1 AND status = 'running'
            """, [group])
        guard rows.rowCount == 1 else { return nil }
        let list = try rows.string(0, "partitions").trimmingCharacters(in: CharacterSet(charactersIn: "{}"))
        return Record(
            id: try rows.int64(0, "id"), epoch: try rows.int64(0, "epoch"), kind: try rows.value(0, "kind"),
            fromColor: try rows.color(0, "from_color"), toColor: try rows.color(0, "to_color"),
            partitions: list.isEmpty
                ? [] : list.split(separator: ",").map { $0.replacingOccurrences(of: "\"", with: "") },
            startedAt: try rows.string(0, "started"),
            endsAt: Date(timeIntervalSince1970: try rows.double(0, "ends")),
            limits: CanaryAnalysis.Limits(
                maxDeadLetterRate: try rows.decodeIfPresent(Double.self, row: 0, column: "max_dlq_rate"),
                maxP99Seconds: try rows.decodeIfPresent(Double.self, row: 0, column: "max_p99_seconds"),
                maxLagSeconds: try rows.decodeIfPresent(Double.self, row: 0, column: "max_lag_seconds")),
            baselineConsumed: try rows.int64(0, "baseline_consumed"),
            baselineRejected: try rows.int64(0, "baseline_rejected"))
    }

    /// Starts the analysis of a step that gave `partitions` to `toColor`, with the baseline as
    /// of now. The unique index refuses a second running analysis of the group.
    public static func start(
        group: String, epoch: Int64, kind: Cutover.Kind, fromColor: DeploymentColor, toColor: DeploymentColor,
        partitions: [String], window: Double, limits: CanaryAnalysis.Limits,
        on connection: PGConnection
    ) throws(PGError) -> Record {
        let baseline = try ledger(group: group, partitions: partitions, on: connection)
        _ = try connection.execute(
            """
            INSERT INTO analyses (consumer_group, epoch, kind, from_color, to_color, partitions, ends_at, max_dlq_rate,
                                  max_p99_seconds, max_lag_seconds, baseline_consumed, baseline_rejected)
            VALUES ($1, $2, $3, $4, $5, $6::text[], now() + make_interval(secs => $7), $8, $9, $10, $11, $12)
            """,
            [
                group, epoch, kind.rawValue, fromColor.rawValue, toColor.rawValue, partitions, window,
                limits.maxDeadLetterRate,
                limits.maxP99Seconds,
                limits.maxLagSeconds, baseline.consumed, baseline.rejected,
            ])
        guard let record = try running(group: group, on: connection) else {
            throw PGError(kind: .other, message: "the analysis of group \(group) vanished after it was recorded")
        }
        return record
    }

    /// Events consumed (positions less operator moves) and dead-lettered on `partitions`.
    public static func ledger(
        group: String, partitions: [String], on connection: PGConnection
    ) throws(PGError)
        -> (consumed: Int64, rejected: Int64)
    {
        let row = try connection.query(
            """
            SELECT coalesce(sum(next_offset - offsets_moved_by_operators), 0)::bigint AS consumed,
                   coalesce(sum(events_rejected), 0)::bigint AS rejected
            FROM partition_positions
            WHERE consumer_group = $1 AND topic || '[' || partition || ']' = ANY($2::text[])
            """, [group, partitions])
        return (try row.int64(0, "consumed"), try row.int64(0, "rejected"))
    }

    /// The worst recent p99 apply time among `color`'s live workers (heartbeat within 15 s).
    public static func worstP99(
        group: String, color: DeploymentColor, on connection: PGConnection
    ) throws(PGError) -> Double? {
        let row = try connection.query(
            """
            SELECT max(apply_p99_seconds) AS p99 FROM workers
            WHERE consumer_group = $1 AND color = $2 AND heartbeat_at > now() - interval '15 seconds'
            """, [group, color.rawValue])
        return try row.decodeIfPresent(Double.self, row: 0, column: "p99")
    }

    /// Records the decision (`promoted`, `passed`, `rolled_back` or `failed`).
    public static func finish(id: Int64, status: String, reason: String, on connection: PGConnection) throws(PGError) {
        _ = try connection.execute(
            "UPDATE analyses SET status = $2, reason = $3, decided_at = now() WHERE id = $1 AND status = 'running'",
            [id, status, reason])
    }
}
