import Foundation
import Kafka
import OrderStreamDomain
import PostgreSQL
import Testing

@testable import OrderStreamWorker

/// The bisection on its own, with the database replaced by a rule ("a part fails while it holds
/// a poison event"): no threads, no sleeps, every step checked.
struct PoisonIsolationTests {
    static let orders = TopicPartition(topic: "orders", partition: 0)
    static let payments = TopicPartition(topic: "payments", partition: 1)

    /// `count` valid `order.cancelled` events spread over two partitions (in each partition's
    /// offset order, the lane's order), with the ids in `poisons` being poison.
    static func messages(_ count: Int) -> [ConsumedMessage] {
        var messages: [ConsumedMessage] = []
        for index in 0..<count {
            let partition = index % 3 == 0 ? payments : orders
            let id = "ord-\(index)"
            let value =
                partition == orders
                ? #"{"event_id":"e-\#(index)","event_type":"order.cancelled","schema_version":1,"occurred_at":"2026-11-26T12:00:00Z","order_id":"\#(id)","customer_id":"c","data":{"reason":"r"}}"#
                : #"{"event_id":"e-\#(index)","event_type":"payment.failed","schema_version":1,"occurred_at":"2026-11-26T12:00:00Z","order_id":"\#(id)","customer_id":"c","data":{"payment_id":"p-\#(index)","amount_cents":1,"currency":"EUR","failure_code":"x"}}"#
            messages.append(
                ConsumedMessage(
                    partition: partition, offset: 0, key: Array(id.utf8), value: Array(value.utf8),
                    timestampMillis: nil))
        }
        // Offsets per partition, and the lane's grouping: each partition's messages together.
        var next: [TopicPartition: Int64] = [:]
        messages = messages.map { message in
            let offset = next[message.partition, default: 100]
            next[message.partition] = offset + 1
            return ConsumedMessage(
                partition: message.partition, offset: offset, key: message.key, value: message.value,
                timestampMillis: nil)
        }
        return messages.filter { $0.partition == orders } + messages.filter { $0.partition == payments }
    }

    /// A fake database: refuses (SQLSTATE 22003) any part with an event whose id is poison, and
    /// otherwise "commits" it, checking the position compare-and-set as the statement does.
    final class FakeDatabase {
        var positions: [TopicPartition: Int64] = [orders: 100, payments: 100]
        var applied: [String] = []
        var rejected: [TopicPartition: Int64] = [:]
        var statements = 0
        var applyCalls = 0
        let poisons: Set<String>
        var sqlState = "22003"

        init(poisons: Set<String>) { self.poisons = poisons }

        func probe(_ batch: ValidatedBatch) throws(BatchApplier.Failure) {
            statements += 1
            for (partition, slice) in batch.partitions where positions[partition] != slice.expectedOffset {
                throw .fenced
            }
            if batch.events.contains(where: { poisons.contains($0.event.eventId) }) || poisons.contains("*") {
                throw .database(PGError(kind: .other, sqlState: sqlState, message: "bigint out of range"))
            }
        }

        func apply(_ batch: ValidatedBatch) throws(BatchApplier.Failure) -> BatchApplier.Outcome {
            try probe(batch)
            applied += batch.events.map(\.event.eventId)
            for (partition, slice) in batch.partitions {
                positions[partition] = slice.nextOffset
                rejected[partition, default: 0] += slice.rejected
            }
            return BatchApplier.Outcome(applied: Int64(batch.events.count), appliedByTopic: [:], newMembers: [])
        }
    }

    /// The steps of a run against `database`: a probe is the statement without its effects.
    /// `failingCall`, when given, makes that apply call (1-based) lose its connection.
    static func steps(
        _ database: FakeDatabase, failingCall: Int? = nil,
        deadLetter: @escaping (ValidatedBatch.Rejected) -> Void = { _ in },
        committed: @escaping (ValidatedBatch, BatchApplier.Outcome) -> Void = { _, _ in }
    ) -> PoisonIsolation.Steps {
        PoisonIsolation.Steps(
            apply: { (batch: ValidatedBatch) throws(BatchApplier.Failure) -> BatchApplier.Outcome in
                database.applyCalls += 1
                if database.applyCalls == failingCall {
                    throw .database(PGError(kind: .connectionLost, message: "server closed the connection"))
                }
                return try database.apply(batch)
            },
            probe: { (batch: ValidatedBatch) throws(BatchApplier.Failure) in try database.probe(batch) },
            deadLetter: { deadLetter($0) },
            committed: committed)
    }

    @Test func aBatchWithoutPoisonIsOneStatement() throws {
        let messages = Self.messages(200)
        let database = FakeDatabase(poisons: [])
        var isolation = PoisonIsolation(messages: messages, expected: [Self.orders: 100, Self.payments: 100])
        var parts = 0
        try isolation.run(
            Self.steps(
                database, deadLetter: { _ in Issue.record("no dead letter expected") },
                committed: { _, _ in parts += 1 }))
        #expect(isolation.isComplete && parts == 1 && database.statements == 1)
        #expect(database.applied.count == 200)
    }

    @Test(arguments: [0, 1, 499, 500, 998, 999])
    func onePoisonInAThousandIsIsolatedInLogarithmicallyManyStatements(position: Int) throws {
        let messages = Self.messages(1_000)
        let poisonId = "e-\(position)"
        let database = FakeDatabase(poisons: [poisonId])
        var isolation = PoisonIsolation(messages: messages, expected: [Self.orders: 100, Self.payments: 100])
        let letters = Letters()
        try isolation.run(Self.steps(database, deadLetter: { letters.items.append($0) }))
        #expect(isolation.isComplete)
        #expect(letters.items.count == 1)
        #expect(letters.items.first?.rejection.reason == .applyFailed)
        #expect(letters.items.first?.rejection.detail == "SQLSTATE 22003: bigint out of range")
        #expect(DeadLetterPublisher.eventId(of: letters.items.first?.message.value ?? []) == poisonId)
        // Every other event applied exactly once, in each partition's order.
        #expect(database.applied.count == 999)
        #expect(Set(database.applied).count == 999 && !database.applied.contains(poisonId))
        for partition in [Self.orders, Self.payments] {
            let order = messages.filter { $0.partition == partition }.compactMap {
                DeadLetterPublisher.eventId(of: $0.value)
            }
            .filter { $0 != poisonId }
            #expect(database.applied.filter { order.contains($0) } == order)
        }
        // Positions past the end of each partition, the poison counted as rejected.
        #expect(database.positions[Self.orders] == 100 + Int64(messages.filter { $0.partition == Self.orders }.count))
        #expect(
            database.positions[Self.payments] == 100 + Int64(messages.filter { $0.partition == Self.payments }.count))
        #expect(database.rejected.values.reduce(0, +) == 1)
        #expect(isolation.expected == database.positions)
        // Logarithmic: 2 statements per halving of 1,000 events, plus the poison's probe and part.
        #expect(database.statements <= 2 * 10 + 3, "\(database.statements) statements")
        print("poison at \(position) of 1,000: \(database.statements) statements")
        #expect(database.statements == isolation.statements)
    }

    @Test func severalPoisonsOnBothPartitionsAreEachIsolated() throws {
        let messages = Self.messages(300)
        let poisons: Set<String> = ["e-3", "e-10", "e-11", "e-150", "e-299"]
        let database = FakeDatabase(poisons: poisons)
        var isolation = PoisonIsolation(messages: messages, expected: [Self.orders: 100, Self.payments: 100])
        let letters = Letters()
        try isolation.run(Self.steps(database, deadLetter: { letters.items.append($0) }))
        let ids = letters.items.compactMap { DeadLetterPublisher.eventId(of: $0.message.value) }
        #expect(Set(ids) == poisons && ids.count == poisons.count)
        #expect(database.applied.count == 295)
        #expect(isolation.setAside.count == 5)
    }

    @Test func aFailureTiedToNoEventIsReportedNotDeadLettered() throws {
        let database = FakeDatabase(poisons: ["*"])
        var isolation = PoisonIsolation(messages: Self.messages(8), expected: [Self.orders: 100, Self.payments: 100])
        let letters = Letters()
        do {
            try isolation.run(Self.steps(database, deadLetter: { letters.items.append($0) }))
            Issue.record("a failure tied to no event was not reported")
        } catch {
            guard case .notIsolatable(let cause) = error else {
                Issue.record("expected notIsolatable, got \(error)")
                return
            }
            #expect(cause.sqlState == "22003")
        }
        // The first event was tried alone, and the probe without it still failed: the failure is
        // not the event's, so nothing was dead-lettered (an innocent event must never be).
        #expect(letters.items.isEmpty)
        #expect(isolation.setAside.isEmpty)
        #expect(!isolation.isComplete)
    }

    @Test func aTransientFailureKeepsWhatCommittedAndResumes() throws {
        let messages = Self.messages(64)
        let database = FakeDatabase(poisons: ["e-40"])
        var isolation = PoisonIsolation(messages: messages, expected: [Self.orders: 100, Self.payments: 100])
        do {
            try isolation.run(Self.steps(database, failingCall: 4))
            Issue.record("the connection loss did not stop the run")
        } catch {
            guard case .database(let cause) = error else {
                Issue.record("expected a database failure, got \(error)")
                return
            }
            #expect(cause.isTransient)
        }
        let committedBefore = isolation.committedCount
        #expect(committedBefore > 0 && committedBefore < messages.count)
        try isolation.run(Self.steps(database))
        #expect(isolation.isComplete)
        #expect(database.applied.count == 63 && Set(database.applied).count == 63)
    }

    @Test func aFenceStopsTheIsolation() throws {
        let database = FakeDatabase(poisons: ["e-5"])
        database.positions[Self.orders] = 150  // someone else moved it
        var isolation = PoisonIsolation(messages: Self.messages(20), expected: [Self.orders: 100, Self.payments: 100])
        do {
            try isolation.run(Self.steps(database))
            Issue.record("not fenced")
        } catch {
            guard case .fenced = error else {
                Issue.record("expected fenced, got \(error)")
                return
            }
        }
    }

    /// Dead letters collected by a step (a class, so the escaping closure can append).
    final class Letters {
        var items: [ValidatedBatch.Rejected] = []
    }

    @Test func sqlStateClassesDecideWhatIsIsolatedAndWhatIsRetried() {
        for state in ["22003", "22P02", "23514", "23505", "21000", "54000"] {
            #expect(PGError(kind: .other, sqlState: state, message: "").isCausedByData, "\(state)")
        }
        for state in ["40001", "40P01", "55P03", "57014", "57P01", "08006", "25006", "53100", "42P01", "XX000"] {
            #expect(!PGError(kind: .other, sqlState: state, message: "").isCausedByData, "\(state)")
        }
        for state in ["25006", "53100", "53300", "58030"] {
            #expect(PGError(kind: .other, sqlState: state, message: "").isTransient, "\(state)")
        }
        #expect(!PGError(kind: .other, sqlState: "22003", message: "").isTransient)
        #expect(!PGError(kind: .other, message: "no state").isCausedByData)
    }
}
