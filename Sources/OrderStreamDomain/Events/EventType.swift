/// The seven event types of contract v1, with their wire names as raw values.
public enum EventType: String, Sendable, Hashable, CaseIterable {
    case orderCreated = "order.created"
    case orderCancelled = "order.cancelled"
    case orderShipped = "order.shipped"
    case paymentAuthorized = "payment.authorized"
    case paymentCaptured = "payment.captured"
    case paymentFailed = "payment.failed"
    case paymentRefunded = "payment.refunded"

    /// The only topic this type may be published on.
    public var topic: Topic {
        switch self {
        case .orderCreated, .orderCancelled, .orderShipped: return .orders
        case .paymentAuthorized, .paymentCaptured, .paymentFailed, .paymentRefunded: return .payments
        }
    }
}
