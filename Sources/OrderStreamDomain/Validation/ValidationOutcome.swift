/// The verdict on one Kafka message: a typed event to apply, or a rejection to dead-letter.
public enum ValidationOutcome: Sendable, Equatable {
    case valid(Event)
    case rejected(Rejection)

    /// The rejection, or nil when valid.
    public var rejection: Rejection? {
        if case .rejected(let rejection) = self { return rejection }
        return nil
    }

    /// The event, or nil when rejected.
    public var event: Event? {
        if case .valid(let event) = self { return event }
        return nil
    }
}
