import Foundation
import Kafka
import OrderStreamDomain
import OrderStreamLoadGen
import OrderStreamTestSupport
import PostgreSQL
import Testing

@testable import OrderStreamWorker

/// Poison isolation against a real PostgreSQL: real SQLSTATEs from real statements (a bigint
/// overflow, a check constraint, a program limit raised by a trigger), a 1,000-event batch with
/// the poison in the middle, and the KPIs compared with the reference model of what should apply.
@Suite(.serialized)
struct PoisonIsolationSQLTests {
    static let start = RFC3339.parseMicros("2026-11-26T12:00:00Z")!
    static let orders = TopicPartition(topic: "orders", partition: 0)
    static let payments = TopicPartition(topic: "payments", partition: 0)

    static func installPoisons(on connection: PGConnection) throws { try PoisonFixtures.install(on: connection) }

    static func event(_ type: String, order: String, id: String) -> [UInt8] {
        Array(PoisonFixtures.event(type, order: order, id: id).utf8)
    }

    @Test func eachPoisonClassIsIsolatedAndEverythingElseAppliesExactly() throws {
        // A realistic stream on one partition per topic, with poisons of every class between
        // valid events on both topics.
        let generated = Array(
            LoadGenerator(orders: 120, duplicates: 0.05, invalid: 0, seed: 11, startMicros: Self.start))
        var byPartition: [TopicPartition: [(key: [UInt8]?, value: [UInt8])]] = [:]
        for message in generated {
            byPartition[TopicPartition(topic: message.topic.rawValue, partition: 0), default: []]
                .append((message.key, message.value))
        }
        let poisons: [(TopicPartition, String, [UInt8])] = [
            (Self.orders, "poison-22-a", Self.event("order.cancelled", order: "poison-22-a", id: "x-22")),
            (Self.orders, "poison-23-a", Self.event("order.cancelled", order: "poison-23-a", id: "x-23")),
            (Self.payments, "poison-54-a", Self.event("payment.captured", order: "poison-54-a", id: "x-54")),
            (Self.payments, "overflow-1", Self.event("payment.captured", order: "overflow-1", id: "x-overflow")),
        ]
        for (index, poison) in poisons.enumerated() {
            let at = (index + 1) * byPartition[poison.0]!.count / (poisons.count + 1)
            byPartition[poison.0]!.insert((Array(poison.1.utf8), poison.2), at: at)
        }
        var messages: [ConsumedMessage] = []
        var reference = ReferenceModel()
        let poisonValues = Set(poisons.map(\.2))
        for partition in [Self.orders, Self.payments] {
            for (offset, item) in byPartition[partition]!.enumerated() {
                messages.append(
                    ConsumedMessage(
                        partition: partition, offset: Int64(offset), key: item.key, value: item.value,
                        timestampMillis: nil))
                if !poisonValues.contains(item.value) {
                    reference.apply(topic: partition.topic, key: item.key, value: item.value)
                }
            }
        }

        let url = try TestEnvironment.freshDatabase()
        let connection = try PGConnection.connect(try PGConnectionConfiguration(url), logger: TestEnvironment.logger())
        defer { connection.close() }
        try Self.installPoisons(on: connection)
        _ = try PositionStore.ensureControl(group: "g", initialColor: .blue, on: connection)
        let rows = try PositionStore.claim([Self.orders, Self.payments], group: "g", on: connection)
        let fence = BatchApplier.Fence(group: "g", color: .blue, instanceId: "test", epochs: rows.mapValues(\.epoch))

        var isolation = PoisonIsolation(messages: messages, expected: rows.mapValues(\.nextOffset))
        let letters = Letters()
        try isolation.run(Self.steps(fence: fence, connection: connection, letters: letters))
        #expect(isolation.isComplete)

        // Each poison dead-lettered with its real SQLSTATE, nothing else.
        let details = Dictionary(
            uniqueKeysWithValues: letters.items.map {
                (DeadLetterPublisher.eventId(of: $0.message.value) ?? "?", $0.rejection)
            })
        #expect(details.count == 4, "\(details)")
        #expect(details.values.allSatisfy { $0.reason == .applyFailed })
        #expect(details["x-22"]?.detail.hasPrefix("SQLSTATE 22003") == true, "\(details)")
        #expect(details["x-23"]?.detail.hasPrefix("SQLSTATE 23514") == true, "\(details)")
        #expect(details["x-54"]?.detail.hasPrefix("SQLSTATE 54000") == true, "\(details)")
        #expect(details["x-overflow"]?.detail == "SQLSTATE 22003: bigint out of range", "\(details)")

        // Everything else exactly once: the KPIs of the reference model of the valid stream, the
        // poisons counted as rejected, and every position past the end.
        var wanted = reference.kpis()
        wanted.eventsRejected += 4
        #expect(try KPIQueries.kpis(window: nil, on: connection) == wanted)
        let positions = try PositionStore.read([Self.orders, Self.payments], group: "g", on: connection)
        #expect(positions[Self.orders]?.nextOffset == Int64(byPartition[Self.orders]!.count))
        #expect(positions[Self.payments]?.nextOffset == Int64(byPartition[Self.payments]!.count))
        #expect(
            try connection.query("SELECT count(*) AS n FROM orders WHERE order_id LIKE 'poison-%'").int64(0, "n") == 0)
    }

    @Test func aPoisonInTheMiddleOfAThousandEventsTakesLogarithmicallyManyStatements() throws {
        let generated = Array(LoadGenerator(orders: 800, duplicates: 0, invalid: 0, seed: 5, startMicros: Self.start))
            .filter { $0.topic == .orders }.prefix(999)
        var values = generated.map { (key: $0.key, value: $0.value) }
        values.insert(
            (Array("poison-22-mid".utf8), Self.event("order.cancelled", order: "poison-22-mid", id: "x-mid")), at: 500)
        #expect(values.count == 1_000)
        let messages = values.enumerated().map {
            ConsumedMessage(
                partition: Self.orders, offset: Int64($0.offset), key: $0.element.key, value: $0.element.value,
                timestampMillis: nil)
        }
        let url = try TestEnvironment.freshDatabase()
        let connection = try PGConnection.connect(try PGConnectionConfiguration(url), logger: TestEnvironment.logger())
        defer { connection.close() }
        try Self.installPoisons(on: connection)
        _ = try PositionStore.ensureControl(group: "g", initialColor: .blue, on: connection)
        let rows = try PositionStore.claim([Self.orders], group: "g", on: connection)
        let fence = BatchApplier.Fence(group: "g", color: .blue, instanceId: "test", epochs: rows.mapValues(\.epoch))

        var isolation = PoisonIsolation(messages: messages, expected: rows.mapValues(\.nextOffset))
        let letters = Letters()
        let started = ContinuousClock.now
        try isolation.run(Self.steps(fence: fence, connection: connection, letters: letters))
        let elapsed = ContinuousClock.now - started
        print(
            "poison isolation: 1 poison at 500 of 1,000 events isolated in \(isolation.statements) statements, \(elapsed)"
        )
        #expect(isolation.isComplete)
        #expect(letters.items.map { DeadLetterPublisher.eventId(of: $0.message.value) } == ["x-mid"])
        #expect(isolation.statements <= 2 * 10 + 3, "\(isolation.statements) statements: not logarithmic")
        #expect(try KPIQueries.kpis(window: nil, on: connection).eventsApplied == 999)
    }

    final class Letters {
        var items: [ValidatedBatch.Rejected] = []
    }

    static func steps(fence: BatchApplier.Fence, connection: PGConnection, letters: Letters) -> PoisonIsolation.Steps {
        PoisonIsolation.Steps(
            apply: { (batch: ValidatedBatch) throws(BatchApplier.Failure) -> BatchApplier.Outcome in
                try BatchApplier.apply(batch, fence: fence, on: connection)
            },
            probe: { (batch: ValidatedBatch) throws(BatchApplier.Failure) in
                try BatchApplier.probe(batch, fence: fence, on: connection)
            },
            deadLetter: { letters.items.append($0) },
            committed: { _, _ in })
    }
}
