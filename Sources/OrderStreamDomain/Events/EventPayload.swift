/// The validated, typed `data` of an event: one case per shape in the contract (the four
/// payment types share one shape).
public enum EventPayload: Sendable, Equatable, Hashable {
    case orderCreated(items: [LineItem], totalCents: Int64, currency: String)
    case orderCancelled(reason: String)
    case orderShipped(carrier: String, trackingNumber: String)
    case payment(PaymentFacts)
}
