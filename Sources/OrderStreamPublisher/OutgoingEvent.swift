import Foundation
import OrderStreamDomain

/// One event of contract v1, ready to publish: its topic, its Kafka key (`order_id`) and the
/// exact JSON bytes of its value.
///
/// Build one with the typed builders, one per event type of the contract
/// (``orderCreated(orderId:customerId:items:currency:totalCents:eventId:occurredAt:)`` and the
/// others). A builder never validates: ``EventPublisher/send(_:)`` runs the contract's validator
/// on the bytes it is about to send, so a builder given bad values (an empty `order_id`, a
/// currency `"eur"`) yields an event that `send` refuses with a ``PublishError/invalid(field:reason:detail:)``.
///
/// When `eventId` is `nil` the builder generates a time-ordered UUID (version 7, RFC 9562):
/// keep the event you built if you retry, so a retry carries the same `event_id` and the worker
/// skips it as a duplicate.
public struct OutgoingEvent: Sendable, Hashable {
    /// `orders` or `payments`: the topic of the event's type.
    public var topic: String
    /// The Kafka key: the UTF-8 bytes of `order_id`.
    public var key: [UInt8]?
    /// The JSON value, byte for byte as it goes on the wire.
    public var value: [UInt8]
    /// The event's `event_id` (the idempotency key the worker deduplicates on).
    public var eventId: String

    /// An event from already-encoded JSON (for example a row of an outbox table). `topic` and
    /// `key` are sent as given, so the validator can tell a `wrong_topic` or `key_mismatch`.
    public init(topic: String, key: String?, value: [UInt8], eventId: String = "") {
        self.topic = topic
        self.key = key.map { Array($0.utf8) }
        self.value = value
        self.eventId = eventId
    }

    /// `order.created`. `totalCents` defaults to sum(quantity * unit_price_cents) (saturating
    /// on overflow, which the validator then refuses as `total_mismatch`).
    public static func orderCreated(
        orderId: String, customerId: String, items: [LineItem], currency: String,
        totalCents: Int64? = nil, eventId: String? = nil, occurredAt: Date = Date()
    ) -> OutgoingEvent {
        let total =
            totalCents
            ?? items.reduce(Int64(0)) { sum, item in
                let (line, o1) = item.quantity.multipliedReportingOverflow(by: item.unitPriceCents)
                let (next, o2) = sum.addingReportingOverflow(line)
                return o1 || o2 ? Int64.max : next
            }
        return make(.orderCreated, orderId: orderId, customerId: customerId, eventId: eventId, occurredAt: occurredAt) {
            w in
            w.key("items")
            w.beginArray()
            for item in items {
                w.beginObject()
                w.field("sku", item.sku)
                w.field("quantity", item.quantity)
                w.field("unit_price_cents", item.unitPriceCents)
                w.endObject()
            }
            w.endArray()
            w.field("total_cents", total)
            w.field("currency", currency)
        }
    }

    /// `order.cancelled` with its free-text `reason`.
    public static func orderCancelled(
        orderId: String, customerId: String, reason: String, eventId: String? = nil, occurredAt: Date = Date()
    ) -> OutgoingEvent {
        make(.orderCancelled, orderId: orderId, customerId: customerId, eventId: eventId, occurredAt: occurredAt) { w in
            w.field("reason", reason)
        }
    }

    /// `order.shipped` with its `carrier` and `tracking_number`.
    public static func orderShipped(
        orderId: String, customerId: String, carrier: String, trackingNumber: String,
        eventId: String? = nil, occurredAt: Date = Date()
    ) -> OutgoingEvent {
        make(.orderShipped, orderId: orderId, customerId: customerId, eventId: eventId, occurredAt: occurredAt) { w in
            w.field("carrier", carrier)
            w.field("tracking_number", trackingNumber)
        }
    }

    /// `payment.authorized` of `amountCents` in `currency` by `method` (`"card"`, ...).
    public static func paymentAuthorized(
        orderId: String, customerId: String, paymentId: String, amountCents: Int64, currency: String,
        method: String, eventId: String? = nil, occurredAt: Date = Date()
    ) -> OutgoingEvent {
        payment(.paymentAuthorized, orderId, customerId, paymentId, amountCents, currency, eventId, occurredAt) { w in
            w.field("method", method)
        }
    }

    /// `payment.captured` of `amountCents` in `currency`.
    public static func paymentCaptured(
        orderId: String, customerId: String, paymentId: String, amountCents: Int64, currency: String,
        eventId: String? = nil, occurredAt: Date = Date()
    ) -> OutgoingEvent {
        payment(.paymentCaptured, orderId, customerId, paymentId, amountCents, currency, eventId, occurredAt) { _ in }
    }

    /// `payment.failed` with the processor's `failureCode`.
    public static func paymentFailed(
        orderId: String, customerId: String, paymentId: String, amountCents: Int64, currency: String,
        failureCode: String, eventId: String? = nil, occurredAt: Date = Date()
    ) -> OutgoingEvent {
        payment(.paymentFailed, orderId, customerId, paymentId, amountCents, currency, eventId, occurredAt) { w in
            w.field("failure_code", failureCode)
        }
    }

    /// `payment.refunded` of `amountCents` in `currency`.
    public static func paymentRefunded(
        orderId: String, customerId: String, paymentId: String, amountCents: Int64, currency: String,
        eventId: String? = nil, occurredAt: Date = Date()
    ) -> OutgoingEvent {
        payment(.paymentRefunded, orderId, customerId, paymentId, amountCents, currency, eventId, occurredAt) { _ in }
    }

    private static func payment(
        _ type: EventType, _ orderId: String, _ customerId: String, _ paymentId: String, _ amountCents: Int64,
        _ currency: String, _ eventId: String?, _ occurredAt: Date, extra: (inout JSONWriter) -> Void
    ) -> OutgoingEvent {
        make(type, orderId: orderId, customerId: customerId, eventId: eventId, occurredAt: occurredAt) { w in
            w.field("payment_id", paymentId)
            w.field("amount_cents", amountCents)
            w.field("currency", currency)
            extra(&w)
        }
    }

    private static func make(
        _ type: EventType, orderId: String, customerId: String, eventId: String?, occurredAt: Date,
        data: (inout JSONWriter) -> Void
    ) -> OutgoingEvent {
        let id = eventId ?? UUIDv7.generate()
        let micros = Int64((occurredAt.timeIntervalSince1970 * 1_000_000).rounded(.down))
        var w = JSONWriter(reservingCapacity: 384)
        w.beginObject()
        w.field("event_id", id)
        w.field("event_type", type.rawValue)
        w.field("schema_version", Int64(1))
        w.field("occurred_at", RFC3339.formatMillis(micros))
        w.field("order_id", orderId)
        w.field("customer_id", customerId)
        w.key("data")
        w.beginObject()
        data(&w)
        w.endObject()
        w.endObject()
        return OutgoingEvent(topic: type.topic.rawValue, key: orderId, value: w.bytes, eventId: id)
    }
}
