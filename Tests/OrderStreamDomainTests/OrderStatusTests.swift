import Testing

@testable import OrderStreamDomain

@Suite("OrderStatus.derive")
struct OrderStatusTests {
    let createdOrder = OrderFacts(created: true, totalCents: 1000, currency: "EUR", customerId: "c")

    @Test("refunded: refunded >= captured > 0")
    func refunded() {
        var facts = createdOrder
        facts.capturedCents = 1000
        facts.refundedCents = 1000
        facts.anyAuthorizedOrCaptured = true
        #expect(OrderStatus.derive(facts) == .refunded)
        facts.refundedCents = 999
        #expect(OrderStatus.derive(facts) == .paid)
        // captured 0: never refunded, however much was refunded.
        #expect(OrderStatus.derive(OrderFacts(refundedCents: 50)) == .pending)
    }

    @Test("shipped")
    func shipped() {
        var facts = createdOrder
        facts.shipped = true
        #expect(OrderStatus.derive(facts) == .shipped)
        #expect(OrderStatus.derive(OrderFacts(shipped: true)) == .shipped)
    }

    @Test("cancelled")
    func cancelled() {
        var facts = createdOrder
        facts.cancelled = true
        #expect(OrderStatus.derive(facts) == .cancelled)
    }

    @Test("paid: created and captured >= total")
    func paid() {
        var facts = createdOrder
        facts.capturedCents = 1200
        facts.anyAuthorizedOrCaptured = true
        #expect(OrderStatus.derive(facts) == .paid)
        // Without order.created the total is unknown: not paid.
        #expect(OrderStatus.derive(OrderFacts(capturedCents: 1200, anyAuthorizedOrCaptured: true)) == .authorized)
    }

    @Test("authorized: some payment authorized or captured")
    func authorized() {
        var facts = createdOrder
        facts.anyAuthorizedOrCaptured = true
        #expect(OrderStatus.derive(facts) == .authorized)
        facts.capturedCents = 999
        #expect(OrderStatus.derive(facts) == .authorized)
    }

    @Test("payment_failed: some failed, none authorized")
    func paymentFailed() {
        var facts = createdOrder
        facts.anyFailed = true
        #expect(OrderStatus.derive(facts) == .paymentFailed)
        #expect(OrderStatus.derive(OrderFacts(anyFailed: true)) == .paymentFailed)
    }

    @Test("created")
    func created() {
        #expect(OrderStatus.derive(createdOrder) == .created)
    }

    @Test("pending: only payment events so far")
    func pending() {
        #expect(OrderStatus.derive(OrderFacts()) == .pending)
        #expect(OrderStatus.derive(OrderFacts(customerId: "c")) == .pending)
    }

    @Test("first rule wins")
    func precedence() {
        let everything = OrderFacts(
            created: true, totalCents: 1000, currency: "EUR", customerId: "c", cancelled: true,
            shipped: true, capturedCents: 1000, refundedCents: 1000,
            anyAuthorizedOrCaptured: true, anyFailed: true)
        #expect(OrderStatus.derive(everything) == .refunded)
        var facts = everything
        facts.refundedCents = 0
        #expect(OrderStatus.derive(facts) == .shipped)  // shipped beats cancelled and paid
        facts.shipped = false
        #expect(OrderStatus.derive(facts) == .cancelled)  // cancelled beats paid
        facts.cancelled = false
        #expect(OrderStatus.derive(facts) == .paid)  // paid beats authorized
        facts.capturedCents = 1
        #expect(OrderStatus.derive(facts) == .authorized)  // authorized beats payment_failed
        facts.capturedCents = 0
        facts.anyAuthorizedOrCaptured = false
        #expect(OrderStatus.derive(facts) == .paymentFailed)  // payment_failed beats created
        facts.anyFailed = false
        #expect(OrderStatus.derive(facts) == .created)
        facts.created = false
        #expect(OrderStatus.derive(facts) == .pending)
    }

    @Test("raw values are the contract's")
    func rawValues() {
        #expect(
            OrderStatus.allCases.map(\.rawValue) == [
                "refunded", "shipped", "cancelled", "paid", "authorized", "payment_failed", "created", "pending",
            ])
        #expect(
            EventType.allCases.map(\.rawValue) == [
                "order.created", "order.cancelled", "order.shipped", "payment.authorized", "payment.captured",
                "payment.failed", "payment.refunded",
            ])
        #expect(
            EventType.allCases.map(\.topic) == [.orders, .orders, .orders, .payments, .payments, .payments, .payments])
        #expect(Topic.orders.deadLetterTopic == "orders.dlq")
        #expect(Topic.payments.deadLetterTopic == "payments.dlq")
    }
}
