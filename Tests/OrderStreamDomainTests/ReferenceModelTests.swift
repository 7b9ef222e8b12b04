import OrderStreamTestSupport
import Testing

@testable import OrderStreamDomain

/// Builds valid event bytes for reference-model tests.
struct EventFactory {
    var counter = 0
    let orderId: String
    let customerId: String

    init(orderId: String = "ord-1", customerId: String = "cus-1") {
        self.orderId = orderId
        self.customerId = customerId
    }

    mutating func make(
        _ type: EventType, at time: String, eventId: String? = nil, data: String
    ) -> (topic: String, key: [UInt8], value: [UInt8]) {
        counter += 1
        let id = eventId ?? "\(orderId)-e\(counter)"
        let value = eventJSON(
            eventId: JSONWriter.quoted(id), type: JSONWriter.quoted(type.rawValue),
            occurredAt: JSONWriter.quoted(time), orderId: JSONWriter.quoted(orderId),
            customerId: JSONWriter.quoted(customerId), data: data)
        return (type.topic.rawValue, Array(orderId.utf8), value)
    }

    mutating func created(
        total: Int64 = 1000, currency: String = "EUR", at time: String, eventId: String? = nil
    ) -> (topic: String, key: [UInt8], value: [UInt8]) {
        make(
            .orderCreated, at: time, eventId: eventId,
            data: #"{"items":[{"sku":"a","quantity":1,"unit_price_cents":"# + String(total) + #"}],"total_cents":"#
                + String(total) + #","currency":""# + currency + #""}"#)
    }

    mutating func payment(
        _ type: EventType, _ paymentId: String, amount: Int64 = 1000, currency: String = "EUR", at time: String,
        eventId: String? = nil
    ) -> (topic: String, key: [UInt8], value: [UInt8]) {
        var data =
            #"{"payment_id":""# + paymentId + #"","amount_cents":"# + String(amount) + #","currency":""# + currency
            + #"""#
        if type == .paymentAuthorized { data += #","method":"card""# }
        if type == .paymentFailed { data += #","failure_code":"declined""# }
        return make(type, at: time, eventId: eventId, data: data + "}")
    }
}

extension ReferenceModel {
    @discardableResult
    mutating func apply(_ message: (topic: String, key: [UInt8], value: [UInt8])) -> ApplyOutcome {
        apply(topic: message.topic, key: message.key, value: message.value)
    }
}

@Suite("ReferenceModel")
struct ReferenceModelTests {
    @Test("reject, duplicate, apply are counted separately")
    func counting() throws {
        var model = ReferenceModel()
        var factory = EventFactory()
        let created = factory.created(at: "2026-11-26T12:00:10Z")
        let first = model.apply(created)
        guard case .applied(let event) = first else { Issue.record("expected applied, got \(first)"); return }
        #expect(event.orderId == "ord-1")
        #expect(model.apply(topic: "nowhere", key: nil, value: Array("{}".utf8)).isRejected(.wrongTopic))
        let second = model.apply(created)
        guard case .duplicate = second else { Issue.record("expected a duplicate, got \(second)"); return }
        let rejected = model.apply(topic: "orders", key: nil, value: Array("[]".utf8))
        #expect(rejected.isRejected(.malformed))
        let kpis = model.kpis()
        #expect(kpis.eventsApplied == 1)
        #expect(kpis.eventsDuplicate == 1)
        #expect(kpis.eventsRejected == 2)
        #expect(model.rejectionsByReason[.malformed] == 1)
        #expect(model.rejectionsByReason[.wrongTopic] == 1)
        #expect(model.order("ord-1")?.status == .created)
        #expect(model.order("ord-404") == nil)
    }

    @Test("a second order.created with a new event_id is a no-op")
    func secondCreated() throws {
        var model = ReferenceModel()
        var factory = EventFactory()
        model.apply(factory.created(total: 1000, currency: "EUR", at: "2026-11-26T12:00:00Z"))
        model.apply(factory.created(total: 5000, currency: "USD", at: "2026-11-26T12:05:00Z"))
        let (facts, status) = try #require(model.order("ord-1"))
        #expect(facts.totalCents == 1000)
        #expect(facts.currency == "EUR")
        #expect(status == .created)
        #expect(model.kpis().ordersCreated == 1)
        #expect(model.kpis().eventsApplied == 2)
        // The member counts at the first order.created's time only.
        let noon = RFC3339.parseMicros("2026-11-26T12:00:00Z") ?? 0
        #expect(model.kpis(fromMicros: noon, toMicros: noon + 60_000_000).ordersCreated == 1)
        #expect(model.kpis(fromMicros: noon + 300_000_000, toMicros: noon + 360_000_000).ordersCreated == 0)
        #expect(model.kpis(fromMicros: noon + 300_000_000, toMicros: noon + 360_000_000).eventsApplied == 1)
    }

    @Test("a payment's amount counts once per (payment_id, event type)")
    func paymentOnce() throws {
        var model = ReferenceModel()
        var factory = EventFactory()
        model.apply(factory.created(total: 1000, at: "2026-11-26T12:00:00Z"))
        model.apply(factory.payment(.paymentCaptured, "p1", amount: 600, at: "2026-11-26T12:01:00Z"))
        // A new event id, the same payment.
        model.apply(factory.payment(.paymentCaptured, "p1", amount: 600, at: "2026-11-26T12:02:00Z"))
        #expect(model.order("ord-1")?.facts.capturedCents == 600)
        #expect(model.order("ord-1")?.status == .authorized)
        let minute = { (text: String) in RFC3339.parseMicros(text) ?? 0 }
        #expect(
            model.kpis(fromMicros: minute("2026-11-26T12:01:00Z"), toMicros: minute("2026-11-26T12:02:00Z"))
                .capturedCents == ["EUR": 600])
        #expect(
            model.kpis(fromMicros: minute("2026-11-26T12:02:00Z"), toMicros: minute("2026-11-26T12:03:00Z"))
                .paymentsCaptured == 0)
        model.apply(factory.payment(.paymentCaptured, "p2", amount: 400, at: "2026-11-26T12:03:00Z"))
        #expect(model.order("ord-1")?.status == .paid)
        let kpis = model.kpis()
        #expect(kpis.paymentsCaptured == 2)
        #expect(kpis.capturedCents == ["EUR": 1000])
        model.apply(factory.payment(.paymentRefunded, "p1", amount: 600, at: "2026-11-26T12:04:00Z"))
        #expect(model.order("ord-1")?.status == .paid)
        model.apply(factory.payment(.paymentRefunded, "p2", amount: 400, at: "2026-11-26T12:05:00Z"))
        #expect(model.order("ord-1")?.status == .refunded)
        #expect(model.kpis().refundedCents == ["EUR": 1000])
    }

    @Test("payments before order.created: pending, then converges")
    func paymentsFirst() throws {
        var model = ReferenceModel()
        var factory = EventFactory()
        model.apply(factory.payment(.paymentAuthorized, "p1", at: "2026-11-26T12:01:00Z"))
        #expect(model.order("ord-1")?.status == .authorized)
        var other = ReferenceModel()
        other.apply(factory.payment(.paymentFailed, "p0", at: "2026-11-26T12:01:00Z"))
        #expect(other.order("ord-1")?.status == .paymentFailed)
        var bare = ReferenceModel()
        bare.apply(factory.payment(.paymentRefunded, "p9", at: "2026-11-26T12:01:00Z"))
        #expect(bare.order("ord-1")?.status == .pending)
        model.apply(factory.payment(.paymentCaptured, "p1", at: "2026-11-26T12:02:00Z"))
        model.apply(factory.created(total: 1000, at: "2026-11-26T12:00:00Z"))
        #expect(model.order("ord-1")?.status == .paid)
    }

    @Test("windows: members count at their first event's time; [from, to) bounds")
    func windows() throws {
        var model = ReferenceModel()
        var a = EventFactory(orderId: "ord-a", customerId: "cus-1")
        var b = EventFactory(orderId: "ord-b", customerId: "cus-2")
        model.apply(a.created(total: 1000, at: "2026-11-26T12:00:00Z"))
        model.apply(a.payment(.paymentAuthorized, "pa", at: "2026-11-26T12:00:59.999Z"))
        model.apply(a.payment(.paymentCaptured, "pa", at: "2026-11-26T12:01:00Z"))
        model.apply(b.created(total: 500, currency: "USD", at: "2026-11-26T12:01:30Z"))
        model.apply(b.payment(.paymentFailed, "pb", amount: 500, currency: "USD", at: "2026-11-26T12:02:00Z"))
        func micros(_ text: String) -> Int64 { RFC3339.parseMicros(text) ?? -1 }

        let first = model.kpis(fromMicros: micros("2026-11-26T12:00:00Z"), toMicros: micros("2026-11-26T12:01:00Z"))
        #expect(first.ordersCreated == 1)
        #expect(first.paymentsAuthorized == 1)
        #expect(first.paymentsCaptured == 0)
        #expect(first.activeCustomers == 1)
        #expect(first.eventsApplied == 2)
        #expect(first.paymentSuccessRate == 1.0)

        let second = model.kpis(fromMicros: micros("2026-11-26T12:01:00Z"), toMicros: micros("2026-11-26T12:02:00Z"))
        #expect(second.ordersCreated == 1)
        #expect(second.paymentsCaptured == 1)
        #expect(second.capturedCents == ["EUR": 1000])
        #expect(second.activeCustomers == 2)
        #expect(second.eventsApplied == 2)
        #expect(second.paymentSuccessRate == nil)

        let all = model.kpis()
        #expect(all.ordersCreated == 2)
        #expect(all.activeCustomers == 2)
        #expect(all.paymentSuccessRate == 0.5)
        #expect(model.order("ord-b")?.status == .paymentFailed)
        #expect(model.order("ord-a")?.status == .paid)
    }
}

extension ReferenceModel.ApplyOutcome {
    func isRejected(_ reason: RejectionReason) -> Bool {
        if case .rejected(let rejection) = self { return rejection.reason == reason }
        return false
    }
}
