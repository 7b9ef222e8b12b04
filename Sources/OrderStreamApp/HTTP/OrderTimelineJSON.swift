import OrderStreamDomain
import OrderStreamWorker

/// The JSON of an order's timeline: `GET /orders/{id}/events` (applied events only) and
/// `orderstream order <id> --json` (applied events and the dead letters found in the DLQ topics).
enum OrderTimelineJSON {
    /// Where the HTTP answer says the dead letters are: a request never scans Kafka topics.
    static let deadLettersNote =
        "the dead-letter topics could not be read now; `orderstream order <id>` scans orders.dlq and payments.dlq"

    static func body(orderId: String, events: [OrderTimeline.Entry], deadLetters: [DeadLetter]?) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("order_id", orderId)
        writer.key("events")
        writer.beginArray()
        for event in events {
            writer.beginObject()
            writer.field("event_id", event.eventId)
            writer.field("event_type", event.eventType)
            writer.field("occurred_at", event.occurredAt)
            writer.field("source_topic", event.sourceTopic)
            writer.field("source_partition", Int64(event.sourcePartition))
            writer.field("source_offset", event.sourceOffset)
            writer.endObject()
        }
        writer.endArray()
        if let deadLetters {
            writer.key("dead_letters")
            writer.beginArray()
            for letter in deadLetters { DeadLetterRendering.write(letter, to: &writer) }
            writer.endArray()
        } else {
            writer.field("dead_letters_note", deadLettersNote)
        }
        writer.endObject()
        return writer.text
    }
}
