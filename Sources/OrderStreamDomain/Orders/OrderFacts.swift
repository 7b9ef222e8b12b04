/// What is known about one order from the set of distinct events applied to it.
///
/// Exists so the order's status is a pure function of facts (`OrderStatus.derive`) and every
/// implementation (the reference model, the SQL worker) only has to maintain these monotone
/// facts, which converge whatever the arrival order. Payment sums count each
/// (payment_id, event type) once; adding saturates rather than trapping.
public struct OrderFacts: Sendable, Equatable, Hashable {
    /// An `order.created` was applied.
    public var created: Bool
    /// `total_cents` of the first applied `order.created`.
    public var totalCents: Int64?
    /// `currency` of the first applied `order.created`.
    public var currency: String?
    /// The customer of the first `order.created`, or of the first event seen before it.
    public var customerId: String?
    public var cancelled: Bool
    public var shipped: Bool
    /// Sum of `amount_cents` over distinct captured payment ids.
    public var capturedCents: Int64
    /// Sum of `amount_cents` over distinct refunded payment ids.
    public var refundedCents: Int64
    /// Some payment was authorized or captured.
    public var anyAuthorizedOrCaptured: Bool
    /// Some payment failed.
    public var anyFailed: Bool

    public init(
        created: Bool = false, totalCents: Int64? = nil, currency: String? = nil, customerId: String? = nil,
        cancelled: Bool = false, shipped: Bool = false, capturedCents: Int64 = 0, refundedCents: Int64 = 0,
        anyAuthorizedOrCaptured: Bool = false, anyFailed: Bool = false
    ) {
        self.created = created
        self.totalCents = totalCents
        self.currency = currency
        self.customerId = customerId
        self.cancelled = cancelled
        self.shipped = shipped
        self.capturedCents = capturedCents
        self.refundedCents = refundedCents
        self.anyAuthorizedOrCaptured = anyAuthorizedOrCaptured
        self.anyFailed = anyFailed
    }

    /// `a + b`, clamped to the Int64 range instead of trapping.
    public static func saturatingAdd(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        if !overflow { return sum }
        return b > 0 ? Int64.max : Int64.min
    }
}
