import OrderStreamDomain
import PostgreSQL

/// The record of dead-letter replays in PostgreSQL (`dlq_replays`, migration 6): one row per
/// letter a replay command re-published or tried to, tied to the command's `operations` row.
enum ReplayLog {
    /// What happened to one planned letter.
    struct Outcome: Sendable {
        let item: ReplayPlan.Item
        /// `orders:3:42` where the broker stored it, nil when it was not delivered.
        let target: String?
        /// `published`, or the delivery error.
        let result: String
    }

    /// One row of `dlq history`.
    struct Row: Sendable, Equatable {
        let id: Int64
        let operationId: Int64?
        let at: String
        let actor: String
        let letter: String
        let eventId: String?
        let orderId: String?
        let reason: String
        let fixed: Bool
        let replayCount: Int
        let target: String?
        let result: String
    }

    /// Records `outcomes` under the command's `operationId`; runs on `connection` as it is (in
    /// the caller's transaction, with the `operations` row).
    static func record(
        _ outcomes: [Outcome], operationId: Int64, group: String, actor: String,
        on connection: PGConnection
    ) throws(PGError) {
        for outcome in outcomes {
            let letter = outcome.item.letter
            _ = try connection.execute(
                """
                INSERT INTO dlq_replays (operation_id, consumer_group, actor, letter, event_id, order_id, reason, fixed,
                                         replay_count, target, result)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                """,
                [
                    operationId, group, actor, letter.coordinates.description, letter.eventId, letter.orderId,
                    letter.reason,
                    outcome.item.fixed, outcome.item.replayCount, outcome.target, outcome.result,
                ])
        }
    }

    /// The group's latest replayed letters, newest first.
    static func history(group: String, limit: Int, on connection: PGConnection) throws(PGError) -> [Row] {
        let rows = try connection.query(
            """
            SELECT id, operation_id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at_text, actor,
                   letter, event_id, order_id, reason, fixed, replay_count, target, result
            FROM dlq_replays WHERE consumer_group = $1 ORDER BY id DESC LIMIT $2
            """, [group, limit])
        var history: [Row] = []
        for row in 0..<rows.rowCount {
            history.append(
                Row(
                    id: try rows.int64(row, "id"),
                    operationId: try rows.decodeIfPresent(Int64.self, row: row, column: "operation_id"),
                    at: try rows.string(row, "at_text"), actor: try rows.string(row, "actor"),
                    letter: try rows.string(row, "letter"),
                    eventId: try rows.decodeIfPresent(String.self, row: row, column: "event_id"),
                    orderId: try rows.decodeIfPresent(String.self, row: row, column: "order_id"),
                    reason: try rows.string(row, "reason"), fixed: try rows.bool(row, "fixed"),
                    replayCount: try rows.int(row, "replay_count"),
                    target: try rows.decodeIfPresent(String.self, row: row, column: "target"),
                    result: try rows.string(row, "result")))
        }
        return history
    }

    static func table(_ rows: [Row]) -> String {
        var lines = ["AT\tOPERATION\tACTOR\tLETTER\tEVENT\tREASON\tFIXED\tREPLAY\tTARGET\tRESULT"]
        for row in rows {
            lines.append(
                [
                    row.at, row.operationId.map(String.init) ?? "-", SafeText.escaped(Array(row.actor.utf8)),
                    row.letter,
                    SafeText.escaped(Array((row.eventId ?? "-").utf8)), row.reason, row.fixed ? "yes" : "no",
                    String(row.replayCount), row.target ?? "-", SafeText.escaped(Array(row.result.utf8)),
                ].joined(separator: "\t"))
        }
        lines.append("\(rows.count) replayed letter\(rows.count == 1 ? "" : "s")")
        return lines.joined(separator: "\n")
    }

    static func json(_ rows: [Row]) -> String {
        var writer = JSONWriter()
        writer.beginArray()
        for row in rows {
            writer.beginObject()
            writer.field("id", row.id)
            writer.key("operation_id")
            if let id = row.operationId { writer.integer(id) } else { writer.null() }
            writer.field("at", row.at)
            writer.field("actor", row.actor)
            writer.field("letter", row.letter)
            writer.key("event_id")
            if let id = row.eventId { writer.string(id) } else { writer.null() }
            writer.key("order_id")
            if let id = row.orderId { writer.string(id) } else { writer.null() }
            writer.field("reason", row.reason)
            writer.field("fixed", row.fixed)
            writer.field("replay_count", Int64(row.replayCount))
            writer.key("target")
            if let target = row.target { writer.string(target) } else { writer.null() }
            writer.field("result", row.result)
            writer.endObject()
        }
        writer.endArray()
        return writer.text
    }
}
