import Foundation
import OrderStreamDomain
import OrderStreamWorker
import PostgreSQL

/// What `orderstream status` shows, read from PostgreSQL (positions, owners, workers) and
/// completed with Kafka's high watermarks.
struct StatusReport: Sendable {
    struct PartitionRow: Sendable {
        var topic: String
        var partition: Int32
        var ownerColor: String
        var epoch: Int64
        var position: Int64
        var highWatermark: Int64?
        var lastCommitBy: String?
        /// When the last commit of the partition happened (RFC 3339, UTC), if ever.
        var lastCommitAt: String?
        /// `partition_positions.paused` (schema 5; false before it).
        var paused = false
        /// Who paused it (the audit's actor), when it is paused.
        var pausedBy: String?
        /// Kafka timestamp of the message at the position (read by `status` for lagging partitions).
        var oldestUnappliedTimestampMillis: Int64?

        /// Events between the position and the high watermark; nil when paused or unmeasured.
        var lag: Int64? { measured.events }
    }

    struct WorkerRow: Sendable {
        var instanceId: String
        var color: String
        var state: String
        var secondsSinceHeartbeat: Double
        /// Since the worker started (its heartbeat records them).
        var eventsApplied: Int64 = 0
        var deadLettered: Int64 = 0
        var batchRetries: Int64 = 0
        var applyFailed: Int64 = 0
        /// p99 batch apply time of its last minute.
        var applyP99Seconds: Double?
    }

    /// One color's figures side by side with the other's (a canary's comparison): partitions it
    /// owns and their lag, from the positions; the rest summed over its live workers.
    struct ColorSummary: Sendable, Equatable {
        var color: String
        var partitions = 0
        var lag: Int64 = 0
        var liveWorkers = 0
        var eventsApplied: Int64 = 0
        var deadLettered: Int64 = 0
        var batchRetries: Int64 = 0
        var applyFailed: Int64 = 0
        var worstApplyP99Seconds: Double?
    }

    /// Both colors, in the order blue, green.
    var colors: [ColorSummary] {
        DeploymentColor.allCases.map(\.rawValue).map { color in
            var summary = ColorSummary(color: color)
            for p in partitions where p.ownerColor == color {
                summary.partitions += 1
                summary.lag += p.lag ?? 0
            }
            for w in workers where w.color == color {
                summary.liveWorkers += 1
                summary.eventsApplied += w.eventsApplied
                summary.deadLettered += w.deadLettered
                summary.batchRetries += w.batchRetries
                summary.applyFailed += w.applyFailed
                if let p99 = w.applyP99Seconds {
                    summary.worstApplyP99Seconds = max(summary.worstApplyP99Seconds ?? 0, p99)
                }
            }
            return summary
        }
    }

    var group: String
    /// When the report was completed (the lag in seconds is the age at this moment).
    var measuredAtMillis: Int64 = 0
    var activeColor: String?
    var epoch: Int64?
    var partitions: [PartitionRow] = []
    var workers: [WorkerRow] = []
    /// The latest operator commands (offset resets, pauses, resumes, replays), newest first.
    var operations: [OperationsLog.Entry] = []

    /// How many operator commands status lists.
    static let operationsShown = 10

    /// A worker whose heartbeat is older than this is not listed as live.
    static let liveWithinSeconds = 15.0

    static func read(group: String, on connection: PGConnection) throws(PGError) -> StatusReport {
        var report = StatusReport(group: group)
        let control = try connection.query(
            "SELECT active_color, epoch FROM consumer_control WHERE consumer_group = $1", [group])
        if control.rowCount == 1 {
            report.activeColor = try control.string(0, "active_color")
            report.epoch = try control.int64(0, "epoch")
        }
        let positions = try connection.query(
            """
            SELECT topic, partition, owner_color, epoch, next_offset, last_commit_by,
                   to_char(last_commit_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS last_commit_at,
                   COALESCE((to_jsonb(p) ->> 'paused')::boolean, false) AS paused,
                   to_jsonb(p) ->> 'paused_by' AS paused_by
            FROM partition_positions p WHERE consumer_group = $1 ORDER BY topic, partition
            """, [group])
        for row in 0..<positions.rowCount {
            report.partitions.append(
                PartitionRow(
                    topic: try positions.string(row, "topic"), partition: try positions.int32(row, "partition"),
                    ownerColor: try positions.string(row, "owner_color"), epoch: try positions.int64(row, "epoch"),
                    position: try positions.int64(row, "next_offset"), highWatermark: nil,
                    lastCommitBy: try positions.decodeIfPresent(String.self, row: row, column: "last_commit_by"),
                    lastCommitAt: try positions.decodeIfPresent(String.self, row: row, column: "last_commit_at"),
                    paused: try positions.bool(row, "paused"),
                    pausedBy: try positions.decodeIfPresent(String.self, row: row, column: "paused_by")))
        }
        let workers = try connection.query(
            """
            SELECT instance_id, color, state, extract(epoch FROM now() - heartbeat_at)::float8 AS age,
                   events_applied, events_dead_lettered, batch_retries, apply_failed, apply_p99_seconds
            FROM workers WHERE consumer_group = $1 AND heartbeat_at > now() - make_interval(secs => $2)
            ORDER BY color, instance_id
            """, [group, liveWithinSeconds])
        for row in 0..<workers.rowCount {
            report.workers.append(
                WorkerRow(
                    instanceId: try workers.string(row, "instance_id"), color: try workers.string(row, "color"),
                    state: try workers.string(row, "state"), secondsSinceHeartbeat: try workers.double(row, "age"),
                    eventsApplied: try workers.int64(row, "events_applied"),
                    deadLettered: try workers.int64(row, "events_dead_lettered"),
                    batchRetries: try workers.int64(row, "batch_retries"),
                    applyFailed: try workers.int64(row, "apply_failed"),
                    applyP99Seconds: try workers.decodeIfPresent(Double.self, row: row, column: "apply_p99_seconds")))
        }
        report.operations = try OperationsLog.recent(group: group, limit: operationsShown, on: connection)
        return report
    }

    var table: String {
        var lines = [
            "group \(group): active color \(activeColor ?? "none yet"), epoch \(epoch.map(String.init) ?? "-")", "",
        ]
        lines.append(
            pad(["TOPIC", "PARTITION", "OWNER", "EPOCH", "POSITION", "HIGH", "LAG", "LAG S", "STATE", "LAST COMMIT BY"])
        )
        for p in partitions {
            let measured = p.measured
            lines.append(
                pad([
                    p.topic, String(p.partition), p.ownerColor, String(p.epoch), String(p.position),
                    p.highWatermark.map(String.init) ?? "?", p.paused ? "-" : p.lag.map(String.init) ?? "?",
                    p.paused
                        ? "-" : measured.seconds(nowMillis: measuredAtMillis).map { String(format: "%.1f", $0) } ?? "?",
                    measured.state.rawValue, p.lastCommitBy ?? "-",
                ]))
        }
        let total = partitions.compactMap(\.lag).reduce(0, +)
        let lagging = partitions.filter(\.measured.isLagging).count
        let paused = partitions.filter(\.paused).count
        lines.append(
            "total lag: \(total) events in \(lagging) lagging partitions; \(paused) paused (not counted as lag)")
        if let oldest = partitions.compactMap({ $0.measured.seconds(nowMillis: measuredAtMillis) }).max() {
            lines.append("oldest unapplied event: \(String(format: "%.1f", oldest)) s")
        }
        for note in unmeasured { lines.append("not measured: \(note)") }
        lines.append("")
        lines.append("live workers: \(workers.count)")
        for w in workers {
            lines.append(
                "  \(w.instanceId) (\(w.color), \(w.state), heartbeat \(String(format: "%.1f", w.secondsSinceHeartbeat)) s ago)"
            )
        }
        lines.append("")
        lines.append("by color (events since each live worker started):")
        for c in colors {
            lines.append(
                "  \(c.color): \(c.partitions) partitions, lag \(c.lag), \(c.liveWorkers) live workers, "
                    + "\(c.eventsApplied) applied, \(c.deadLettered) dead-lettered (\(c.applyFailed) apply_failed), "
                    + "\(c.batchRetries) batch retries, p99 apply "
                    + (c.worstApplyP99Seconds.map { "\(Int(($0 * 1000).rounded())) ms" } ?? "-"))
        }
        lines.append("")
        lines.append("operator commands (latest \(Self.operationsShown)): \(operations.isEmpty ? "none" : "")")
        for o in operations {
            lines.append(
                "  #\(o.id) \(o.at) \(o.actor): \(o.command) \(o.arguments) -> \(o.result)"
                    + (o.epoch.map { " (epoch \($0))" } ?? ""))
        }
        return lines.joined(separator: "\n")
    }

    private func pad(_ columns: [String]) -> String {
        let widths = [10, 10, 6, 6, 10, 10, 8, 8, 10, 0]
        return zip(columns, widths).map { $0.padding(toLength: max($1, $0.count), withPad: " ", startingAt: 0) }
            .joined(separator: " ")
    }

    var json: String {
        var w = JSONWriter()
        w.beginObject()
        w.field("group", group)
        w.key("active_color"); if let activeColor { w.string(activeColor) } else { w.null() }
        w.key("epoch"); if let epoch { w.integer(epoch) } else { w.null() }
        w.key("partitions")
        w.beginArray()
        for p in partitions {
            w.beginObject()
            w.field("topic", p.topic)
            w.field("partition", Int64(p.partition))
            w.field("owner_color", p.ownerColor)
            w.field("epoch", p.epoch)
            w.field("position", p.position)
            w.key("high_watermark"); if let h = p.highWatermark { w.integer(h) } else { w.null() }
            w.key("lag"); if let l = p.lag { w.integer(l) } else { w.null() }
            w.key("lag_seconds")
            if let seconds = p.measured.seconds(nowMillis: measuredAtMillis) { w.double(seconds) } else { w.null() }
            w.field("paused", p.paused)
            w.field("state", p.measured.state.rawValue)
            w.key("last_commit_by"); if let b = p.lastCommitBy { w.string(b) } else { w.null() }
            w.key("last_commit_at"); if let a = p.lastCommitAt { w.string(a) } else { w.null() }
            w.key("paused_by"); if let b = p.pausedBy { w.string(b) } else { w.null() }
            w.endObject()
        }
        w.endArray()
        w.key("not_measured")
        w.beginArray()
        for note in unmeasured { w.string(note) }
        w.endArray()
        w.key("live_workers")
        w.beginArray()
        for worker in workers {
            w.beginObject()
            w.field("instance_id", worker.instanceId)
            w.field("color", worker.color)
            w.field("state", worker.state)
            w.key("seconds_since_heartbeat"); w.double(worker.secondsSinceHeartbeat)
            w.field("events_applied", worker.eventsApplied)
            w.field("events_dead_lettered", worker.deadLettered)
            w.key("apply_p99_seconds"); if let p = worker.applyP99Seconds { w.double(p) } else { w.null() }
            w.endObject()
        }
        w.endArray()
        w.key("colors")
        w.beginArray()
        for c in colors {
            w.beginObject()
            w.field("color", c.color)
            w.field("partitions", Int64(c.partitions))
            w.field("lag", c.lag)
            w.field("live_workers", Int64(c.liveWorkers))
            w.field("events_applied", c.eventsApplied)
            w.field("events_dead_lettered", c.deadLettered)
            w.field("apply_failed", c.applyFailed)
            w.field("batch_retries", c.batchRetries)
            w.key("apply_p99_seconds"); if let p = c.worstApplyP99Seconds { w.double(p) } else { w.null() }
            w.endObject()
        }
        w.endArray()
        w.key("operations")
        OperationsJSON.write(operations, to: &w)
        w.endObject()
        return w.text
    }
}
