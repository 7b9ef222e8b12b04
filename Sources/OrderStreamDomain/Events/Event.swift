/// A message that passed every contract check: what the worker applies.
///
/// Exists so everything after validation works with typed, already-checked facts and never
/// looks at JSON again.
public struct Event: Sendable, Equatable, Hashable {
    public var eventId: String
    public var eventType: EventType
    /// `occurred_at` converted to UTC microseconds since the Unix epoch.
    public var occurredAtMicros: Int64
    public var orderId: String
    public var customerId: String
    public var payload: EventPayload

    public init(
        eventId: String, eventType: EventType, occurredAtMicros: Int64, orderId: String, customerId: String,
        payload: EventPayload
    ) {
        self.eventId = eventId
        self.eventType = eventType
        self.occurredAtMicros = occurredAtMicros
        self.orderId = orderId
        self.customerId = customerId
        self.payload = payload
    }

    /// The payment facts of a `payment.*` event, nil for order events.
    public var payment: PaymentFacts? {
        if case .payment(let facts) = payload { return facts }
        return nil
    }
}
