/// What a KPI row counts: the `kind` of `kpi_minutes` (members live on orders, payments and
/// customers, see `MemberStorage`).
///
/// The raw values are the column's values, written by the apply statement and read back by the
/// KPI queries and the Prometheus counters; the enum exists so that those compare cases, and a
/// kind spelled wrong is a compile error rather than a KPI that silently stays at zero.
public enum KPIKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case orderCreated = "order_created"
    case orderCancelled = "order_cancelled"
    case orderShipped = "order_shipped"
    case paymentAuthorized = "payment_authorized"
    case paymentFailed = "payment_failed"
    case paymentCaptured = "payment_captured"
    case paymentRefunded = "payment_refunded"
    /// A customer's first event (a member per customer, a row of `customers`).
    case customer
    /// Every applied event (`kpi_minutes` only: events are counted, not made members).
    case event

    /// The kind an event of `type` makes its order or payment a member of (every event also
    /// makes its customer a member of `.customer`).
    public init(memberOf type: EventType) {
        switch type {
        case .orderCreated: self = .orderCreated
        case .orderCancelled: self = .orderCancelled
        case .orderShipped: self = .orderShipped
        case .paymentAuthorized: self = .paymentAuthorized
        case .paymentFailed: self = .paymentFailed
        case .paymentCaptured: self = .paymentCaptured
        case .paymentRefunded: self = .paymentRefunded
        }
    }

    /// The kinds with an amount, summed in cents per currency.
    public var carriesAmount: Bool { self == .paymentCaptured || self == .paymentRefunded }

    public var description: String { rawValue }
}
