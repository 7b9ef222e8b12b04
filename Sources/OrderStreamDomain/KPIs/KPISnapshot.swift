/// The contract's KPI document (`GET /kpis`), totals or one window.
///
/// Exists so the reference model and the HTTP layer produce byte-identical JSON with the
/// contract's field names. `paymentSuccessRate` is derived, never stored.
public struct KPISnapshot: Sendable, Equatable {
    public var ordersCreated: Int64 = 0
    public var ordersCancelled: Int64 = 0
    public var ordersShipped: Int64 = 0
    public var paymentsAuthorized: Int64 = 0
    public var paymentsFailed: Int64 = 0
    public var paymentsCaptured: Int64 = 0
    public var paymentsRefunded: Int64 = 0
    /// Currency -> sum of `amount_cents` of the distinct captured payments.
    public var capturedCents: [String: Int64] = [:]
    /// Currency -> sum of `amount_cents` of the distinct refunded payments.
    public var refundedCents: [String: Int64] = [:]
    public var activeCustomers: Int64 = 0
    public var eventsApplied: Int64 = 0
    /// Totals only (omitted from window JSON).
    public var eventsDuplicate: Int64 = 0
    /// Totals only (omitted from window JSON).
    public var eventsRejected: Int64 = 0

    public init() {}

    /// `authorized / (authorized + failed)`, nil when both are 0.
    public var paymentSuccessRate: Double? {
        let denominator = paymentsAuthorized + paymentsFailed
        guard denominator > 0 else { return nil }
        return Double(paymentsAuthorized) / Double(denominator)
    }

    /// The contract JSON. `includeTotalsOnly` adds `events_duplicate` and `events_rejected`
    /// (true for `GET /kpis`, false for a window). Currency maps have sorted keys.
    public func json(includeTotalsOnly: Bool) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("orders_created", ordersCreated)
        writer.field("orders_cancelled", ordersCancelled)
        writer.field("orders_shipped", ordersShipped)
        writer.field("payments_authorized", paymentsAuthorized)
        writer.field("payments_failed", paymentsFailed)
        writer.field("payments_captured", paymentsCaptured)
        writer.field("payments_refunded", paymentsRefunded)
        writer.key("captured_cents")
        Self.writeCurrencyMap(capturedCents, into: &writer)
        writer.key("refunded_cents")
        Self.writeCurrencyMap(refundedCents, into: &writer)
        writer.key("payment_success_rate")
        if let rate = paymentSuccessRate { writer.double(rate) } else { writer.null() }
        writer.field("active_customers", activeCustomers)
        writer.field("events_applied", eventsApplied)
        if includeTotalsOnly {
            writer.field("events_duplicate", eventsDuplicate)
            writer.field("events_rejected", eventsRejected)
        }
        writer.endObject()
        return writer.text
    }

    private static func writeCurrencyMap(_ map: [String: Int64], into writer: inout JSONWriter) {
        writer.beginObject()
        for currency in map.keys.sorted() {
            writer.field(currency, map[currency] ?? 0)
        }
        writer.endObject()
    }
}
