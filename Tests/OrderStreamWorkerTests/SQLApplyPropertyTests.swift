import Foundation
import Kafka
import OrderStreamDomain
import OrderStreamLoadGen
import OrderStreamTestSupport
import PostgreSQL
import Testing

@testable import OrderStreamWorker

/// The SQL path against the independent in-memory reference model: whatever the interleaving of
/// the two topics, the batch boundaries and the publisher's retries, PostgreSQL ends with the
/// same KPIs (totals and windows) and the same order facts and statuses.
@Suite(.serialized)
struct SQLApplyPropertyTests {
    static let start = RFC3339.parseMicros("2026-11-26T12:00:00Z")!
    static let orders = TopicPartition(topic: "orders", partition: 0)
    static let payments = TopicPartition(topic: "payments", partition: 0)

    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6])
    func anyInterleavingAndBatchingGivesTheReferenceResult(seed: UInt64) throws {
        var random = SplitMix64(seed: seed &* 7919)
        let generated = Array(
            LoadGenerator(orders: 40, duplicates: 0.15, invalid: 0.05, seed: seed, startMicros: Self.start))
        let merged = Self.merged(generated, random: &random)
        var reference = ReferenceModel()
        for message in merged {
            reference.apply(topic: message.partition.topic, key: message.key, value: message.value)
        }

        let url = try TestEnvironment.freshDatabase()
        let connection = try PGConnection.connect(try PGConnectionConfiguration(url), logger: TestEnvironment.logger())
        defer { connection.close() }
        _ = try PositionStore.ensureControl(group: "g", initialColor: .blue, on: connection)
        let rows = try PositionStore.claim([Self.orders, Self.payments], group: "g", on: connection)
        var expected = rows.mapValues(\.nextOffset)
        let fence = BatchApplier.Fence(group: "g", color: .blue, instanceId: "test", epochs: rows.mapValues(\.epoch))
        var index = 0
        while index < merged.count {
            let size = 1 + Int(random.next() % 60)
            let batch = ValidatedBatch(
                messages: Array(merged[index..<min(index + size, merged.count)]), expected: expected)
            _ = try BatchApplier.apply(batch, fence: fence, on: connection)
            for (key, slice) in batch.partitions { expected[key] = slice.nextOffset }
            index += size
        }

        let windows = stride(from: Int64(0), to: 30, by: 7).map {
            KPIWindow(fromMicros: Self.start + $0 * 60_000_000, toMicros: Self.start + ($0 + 9) * 60_000_000)
        }
        try Self.expectReferenceResult(reference, windows: windows, on: connection)
        #expect(try KPIQueries.order(id: "never-seen", on: connection) == nil)
    }

    /// Both topics merged at random, each in its own order (Kafka keeps it per partition), as
    /// one consumer of partition 0 of each would see them.
    static func merged(_ generated: [GeneratedMessage], random: inout SplitMix64) -> [ConsumedMessage] {
        var byTopic: [Topic: [GeneratedMessage]] = [.orders: [], .payments: []]
        for message in generated { byTopic[message.topic, default: []].append(message) }
        var merged: [ConsumedMessage] = []
        var next: [Topic: Int] = [.orders: 0, .payments: 0]
        while merged.count < generated.count {
            let candidates = Topic.allCases.filter { next[$0]! < byTopic[$0]!.count }
            let topic = candidates[Int(random.next() % UInt64(candidates.count))]
            let message = byTopic[topic]![next[topic]!]
            merged.append(
                ConsumedMessage(
                    partition: TopicPartition(topic: topic.rawValue, partition: 0), offset: Int64(next[topic]!),
                    key: message.key, value: message.value, timestampMillis: nil))
            next[topic]! += 1
        }
        return merged
    }

    /// PostgreSQL's totals, `windows` and every order equal the reference model's.
    static func expectReferenceResult(
        _ reference: ReferenceModel, windows: [KPIWindow], on connection: PGConnection
    ) throws {
        #expect(try KPIQueries.kpis(window: nil, on: connection) == reference.kpis())
        for window in windows {
            #expect(
                try KPIQueries.kpis(window: window, on: connection)
                    == reference.kpis(fromMicros: window.fromMicros, toMicros: window.toMicros))
        }
        for id in reference.orderIds {
            let stored = try #require(try KPIQueries.order(id: id, on: connection), "order \(id) missing")
            let (facts, status) = try #require(reference.order(id))
            #expect(stored.status == status, "order \(id)")
            #expect(stored.facts.capturedCents == facts.capturedCents, "order \(id)")
            #expect(stored.facts.refundedCents == facts.refundedCents, "order \(id)")
            #expect(stored.facts.totalCents == facts.totalCents, "order \(id)")
            #expect(stored.facts.customerId == facts.customerId, "order \(id)")
        }
    }
}
