import PostgreSQL

/// The applied events of one order, oldest first: what `GET /orders/{id}/events` and
/// `orderstream order <id>` show (read through the `applied_events_by_order` index).
public enum OrderTimeline {
    /// One applied event and where it came from.
    public struct Entry: Sendable, Equatable {
        public var eventId: String
        public var eventType: String
        /// UTC, RFC 3339 with microseconds.
        public var occurredAt: String
        public var sourceTopic: String
        public var sourcePartition: Int32
        public var sourceOffset: Int64
    }

    /// Ordered by `occurred_at`, then by where the events were read (a stable order for events
    /// of the same instant).
    public static func events(orderId: String, on connection: PGConnection) throws(PGError) -> [Entry] {
        let rows = try connection.query(
            """
            SELECT event_id, event_type, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS occurred,
                   source_topic, source_partition, source_offset
            FROM applied_events WHERE order_id = $1
            ORDER BY occurred_at, source_topic, source_partition, source_offset
            """, [orderId])
        var entries: [Entry] = []
        entries.reserveCapacity(rows.rowCount)
        for row in 0..<rows.rowCount {
            entries.append(
                Entry(
                    eventId: try rows.string(row, "event_id"), eventType: try rows.string(row, "event_type"),
                    occurredAt: try rows.string(row, "occurred"), sourceTopic: try rows.string(row, "source_topic"),
                    sourcePartition: try rows.int32(row, "source_partition"),
                    sourceOffset: try rows.int64(row, "source_offset")))
        }
        return entries
    }
}
