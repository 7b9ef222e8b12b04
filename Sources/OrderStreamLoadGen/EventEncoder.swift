import OrderStreamDomain

/// Writes contract events as JSON bytes, with hooks to break them on purpose.
///
/// Exists so valid and deliberately invalid messages of the load generator come from one
/// place, and the invalid ones differ from valid ones in exactly one fault.
struct EventEncoder {
    /// The envelope of one event; `nil` fields are left out.
    struct Envelope {
        var eventId: String
        var eventType: String
        var schemaVersion: Int64? = 1
        var occurredAt: String
        var orderId: String
        var customerId: String?
    }

    static func encode(_ envelope: Envelope, data: (inout JSONWriter) -> Void) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 400)
        writer.beginObject()
        writer.field("event_id", envelope.eventId)
        writer.field("event_type", envelope.eventType)
        if let version = envelope.schemaVersion { writer.field("schema_version", version) }
        writer.field("occurred_at", envelope.occurredAt)
        writer.field("order_id", envelope.orderId)
        if let customer = envelope.customerId { writer.field("customer_id", customer) }
        writer.key("data")
        writer.beginObject()
        data(&writer)
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }

    static func writeCreated(_ writer: inout JSONWriter, items: [LineItem], totalCents: Int64, currency: String) {
        writer.key("items")
        writer.beginArray()
        for item in items {
            writer.beginObject()
            writer.field("sku", item.sku)
            writer.field("quantity", item.quantity)
            writer.field("unit_price_cents", item.unitPriceCents)
            writer.endObject()
        }
        writer.endArray()
        writer.field("total_cents", totalCents)
        writer.field("currency", currency)
    }

    static func writePayment(
        _ writer: inout JSONWriter, type: EventType, paymentId: String, amountCents: Int64, currency: String
    ) {
        writer.field("payment_id", paymentId)
        writer.field("amount_cents", amountCents)
        writer.field("currency", currency)
        if type == .paymentAuthorized { writer.field("method", "card") }
        if type == .paymentFailed { writer.field("failure_code", "card_declined") }
    }
}
