/// The status of an order, derived from its facts by the contract's table (first rule wins).
public enum OrderStatus: String, Sendable, Hashable, CaseIterable {
    case refunded
    case shipped
    case cancelled
    case paid
    case authorized
    case paymentFailed = "payment_failed"
    case created
    case pending

    /// The contract table, in order; the first rule that holds wins.
    public static func derive(_ facts: OrderFacts) -> OrderStatus {
        if facts.capturedCents > 0, facts.refundedCents >= facts.capturedCents { return .refunded }
        if facts.shipped { return .shipped }
        if facts.cancelled { return .cancelled }
        if facts.created, let total = facts.totalCents, facts.capturedCents >= total { return .paid }
        if facts.anyAuthorizedOrCaptured { return .authorized }
        // Reaching here means no payment was authorized or captured.
        if facts.anyFailed { return .paymentFailed }
        if facts.created { return .created }
        return .pending
    }
}
