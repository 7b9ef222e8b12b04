import OrderStreamDomain

/// The planned life of one synthetic order: its fixed facts and the events still to publish.
///
/// Exists so the generator can keep several orders in flight at once (as real traffic does)
/// while emitting each order's events in their natural order.
struct OrderFlow: Sendable {
    /// One event to publish; payment steps name their payment id.
    enum Step: Sendable {
        case created
        case cancelled
        case shipped
        case payment(EventType, paymentId: String)
    }

    let orderId: String
    let customerId: String
    let currency: String
    let items: [LineItem]
    let totalCents: Int64
    var steps: [Step]
    var nextStep = 0

    var isFinished: Bool { nextStep >= steps.count }

    /// Plans an order: created, then one of the payment/cancel scenarios.
    init(orderId: String, customerId: String, rng: inout SplitMix64, newPaymentId: () -> String) {
        self.orderId = orderId
        self.customerId = customerId
        currency = ["EUR", "USD", "GBP"][Int(rng.next() % 3)]
        var items: [LineItem] = []
        var total: Int64 = 0
        for _ in 0..<(1 + Int(rng.next() % 4)) {
            let item = LineItem(
                sku: "sku-\(1 + rng.next() % 500)",
                quantity: Int64(1 + rng.next() % 3),
                unitPriceCents: Int64(100 + rng.next() % 19_901))
            total += item.quantity * item.unitPriceCents
            items.append(item)
        }
        self.items = items
        totalCents = total

        var steps: [Step] = [.created]
        let scenario = rng.nextUnit()
        var captured: String?
        if scenario < 0.05 {
            steps.append(.cancelled)
        } else if scenario < 0.10 {
            steps.append(.payment(.paymentFailed, paymentId: newPaymentId()))
        } else if scenario < 0.20 {
            steps.append(.payment(.paymentFailed, paymentId: newPaymentId()))
            captured = newPaymentId()
        } else {
            captured = newPaymentId()
        }
        if let paymentId = captured {
            steps.append(.payment(.paymentAuthorized, paymentId: paymentId))
            steps.append(.payment(.paymentCaptured, paymentId: paymentId))
            let after = rng.nextUnit()
            if after < 0.03 {
                steps.append(.payment(.paymentRefunded, paymentId: paymentId))
            } else if after < 0.63 {
                steps.append(.shipped)
            }
        }
        self.steps = steps
    }
}
