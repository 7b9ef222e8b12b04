import OrderStreamTestSupport
import Testing

@testable import OrderStreamDomain
@testable import OrderStreamLoadGen

@Suite("LoadGenerator")
struct LoadGeneratorTests {
    let start = Int64(1_795_694_400) * 1_000_000

    @Test("same seed, same stream; other seed, other stream")
    func deterministic() {
        let a = Array(LoadGenerator(orders: 200, duplicates: 0.1, invalid: 0.1, seed: 11, startMicros: start))
        let b = Array(LoadGenerator(orders: 200, duplicates: 0.1, invalid: 0.1, seed: 11, startMicros: start))
        let c = Array(LoadGenerator(orders: 200, duplicates: 0.1, invalid: 0.1, seed: 12, startMicros: start))
        #expect(a.count > 600)
        #expect(a == b)
        #expect(a != c)
    }

    @Test("every message gets the fate its kind announces")
    func kindsHold() {
        var model = ReferenceModel()
        var counts: [GeneratedMessage.Kind: Int] = [:]
        var reasons: Set<RejectionReason> = []
        for message in LoadGenerator(orders: 2_000, duplicates: 0.05, invalid: 0.05, seed: 3, startMicros: start) {
            counts[message.kind, default: 0] += 1
            let outcome = model.apply(topic: message.topic.rawValue, key: message.key, value: message.value)
            switch (message.kind, outcome) {
            case (.valid, .applied), (.duplicate, .duplicate):
                break
            case (.invalid(let expected), .rejected(let rejection)) where rejection.reason == expected:
                reasons.insert(expected)
            default:
                Issue.record(
                    "kind \(message.kind) but outcome \(outcome) for \(String(decoding: message.value, as: UTF8.self))")
                return
            }
        }
        #expect(reasons == Set(LoadGenerator.invalidReasons))
        let valid = counts[.valid] ?? 0
        let duplicates = counts[.duplicate] ?? 0
        let invalid = counts.filter { if case .invalid = $0.key { return true } else { return false } }.values.reduce(
            0, +)
        // Fractions are per valid message; allow generous statistical slack.
        #expect(Double(duplicates) / Double(valid) > 0.04 && Double(duplicates) / Double(valid) < 0.06)
        #expect(Double(invalid) / Double(valid) > 0.04 && Double(invalid) / Double(valid) < 0.06)
        let kpis = model.kpis()
        #expect(kpis.eventsApplied == Int64(valid))
        #expect(kpis.eventsDuplicate == Int64(duplicates))
        #expect(kpis.eventsRejected == Int64(invalid))
        #expect(kpis.ordersCreated == 2_000)
    }

    @Test("flows look realistic")
    func realism() throws {
        var model = ReferenceModel()
        var first = Int64.max
        var last = Int64.min
        for message in LoadGenerator(orders: 3_000, duplicates: 0, invalid: 0, seed: 99, startMicros: start) {
            if case .applied(let event) = model.apply(
                topic: message.topic.rawValue, key: message.key, value: message.value)
            {
                first = min(first, event.occurredAtMicros)
                last = max(last, event.occurredAtMicros)
            }
        }
        let kpis = model.kpis()
        #expect(kpis.ordersCreated == 3_000)
        #expect(kpis.activeCustomers < 3_000 && kpis.activeCustomers > 500)
        #expect(kpis.ordersCancelled > 75 && kpis.ordersCancelled < 250)  // ~5%
        #expect(kpis.ordersShipped > 1_200 && kpis.ordersShipped < 2_000)  // ~60% of ~90%
        #expect(kpis.paymentsFailed > 300 && kpis.paymentsFailed < 600)  // ~15%
        #expect(kpis.paymentsRefunded > 30 && kpis.paymentsRefunded < 150)  // ~3% of ~90%
        #expect(kpis.paymentsCaptured == kpis.paymentsAuthorized)
        #expect(Set(kpis.capturedCents.keys) == ["EUR", "USD", "GBP"])
        #expect(first > start)
        #expect(last - first > 30 * 60_000_000)  // spans many minutes
        var statuses: [OrderStatus: Int] = [:]
        for id in model.orderIds { statuses[try #require(model.order(id)).status, default: 0] += 1 }
        #expect(Set(statuses.keys) == [.refunded, .shipped, .cancelled, .paid, .paymentFailed])
    }

    @Test("streaming: a large stream is produced lazily")
    func streaming() {
        var iterator = LoadGenerator(orders: 1_000_000, duplicates: 0.01, invalid: 0.01, seed: 1, startMicros: start)
            .makeIterator()
        var produced = 0
        while produced < 10_000, iterator.next() != nil { produced += 1 }
        #expect(produced == 10_000)
        #expect(iterator.active.count <= LoadGenerator.ordersInFlight)
        #expect(iterator.startedOrders < 5_000)
    }
}
