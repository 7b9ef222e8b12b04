import OrderStreamLoadGen
import OrderStreamTestSupport
import Testing

@testable import OrderStreamDomain

/// The contract's central promise: the state is a function of the *set* of distinct events, so
/// any interleaving of the two topics (each keeping its per-order order) and any number of
/// redeliveries converge to the same order states and KPIs.
@Suite("Convergence property")
struct ConvergencePropertyTests {
    @Test("random topic interleavings and redeliveries converge", arguments: Array(UInt64(1)...UInt64(40)))
    func converges(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed &* 7919)
        let start = Int64(1_795_694_400) * 1_000_000 + Int64(rng.next() % 1_000) * 60_000_000
        let orders = 3 + Int(rng.next() % 12)
        let messages = Array(
            LoadGenerator(orders: orders, duplicates: 0.2, invalid: 0.1, seed: seed, startMicros: start))
        let baseline = Self.run(messages)
        let orderIds = baseline.orderIds
        #expect(orderIds.count == orders)

        let byTopic = Dictionary(grouping: messages, by: \.topic)
        let windows: [(Int64, Int64)] = (0..<6).map { _ in
            let from = start + Int64(rng.next() % 10) * 60_000_000
            return (from, from + Int64(1 + rng.next() % 5) * 60_000_000)
        }
        for _ in 0..<15 {
            var queues = [byTopic[.orders] ?? [], byTopic[.payments] ?? []]
            var merged: [GeneratedMessage] = []
            var extraDuplicates: Int64 = 0
            while !queues[0].isEmpty || !queues[1].isEmpty {
                let pick = queues[0].isEmpty ? 1 : queues[1].isEmpty ? 0 : Int(rng.next() % 2)
                merged.append(queues[pick].removeFirst())
                // A redelivery of something valid already delivered.
                if rng.chance(0.1), let again = merged.filter({ $0.kind == .valid }).randomElement(using: &rng) {
                    merged.append(again)
                    extraDuplicates += 1
                }
            }
            let model = Self.run(merged)
            #expect(model.orderIds == orderIds)
            for id in orderIds {
                let expected = try #require(baseline.order(id))
                let actual = try #require(model.order(id))
                #expect(actual.facts == expected.facts, "order \(id)")
                #expect(actual.status == expected.status, "order \(id)")
            }
            var expectedTotals = baseline.kpis()
            expectedTotals.eventsDuplicate += extraDuplicates
            #expect(model.kpis() == expectedTotals)
            for (from, to) in windows {
                #expect(model.kpis(fromMicros: from, toMicros: to) == baseline.kpis(fromMicros: from, toMicros: to))
            }
        }
    }

    static func run(_ messages: [GeneratedMessage]) -> ReferenceModel {
        var model = ReferenceModel()
        for message in messages {
            model.apply(topic: message.topic.rawValue, key: message.key, value: message.value)
        }
        return model
    }
}
