/// The `data` of any `payment.*` event; `method` is set only for `payment.authorized` and
/// `failureCode` only for `payment.failed`.
public struct PaymentFacts: Sendable, Equatable, Hashable {
    public var paymentId: String
    public var amountCents: Int64
    public var currency: String
    public var method: String?
    public var failureCode: String?

    public init(
        paymentId: String, amountCents: Int64, currency: String, method: String? = nil, failureCode: String? = nil
    ) {
        self.paymentId = paymentId
        self.amountCents = amountCents
        self.currency = currency
        self.method = method
        self.failureCode = failureCode
    }
}
