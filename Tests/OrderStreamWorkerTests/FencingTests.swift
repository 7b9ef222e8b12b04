import Foundation
import Kafka
import OrderStreamCommon
import OrderStreamDomain
import OrderStreamLoadGen
import OrderStreamTestSupport
import PostgreSQL
import Testing

@testable import OrderStreamWorker

/// The position row is the guard: a batch whose expected position, owner color or epoch no
/// longer matches is refused whole, and two processes applying the same offsets at once never
/// both succeed.
@Suite(.serialized)
struct FencingTests {
    static let partition = TopicPartition(topic: "orders", partition: 0)

    static func batch(offsets: Range<Int64>, expected: Int64, seed: UInt64 = 9) -> ValidatedBatch {
        let messages = LoadGenerator(orders: 20, duplicates: 0, invalid: 0, seed: seed, startMicros: 0)
            .filter { $0.topic == .orders }
        let consumed = offsets.map { offset in
            let message = messages[Int(offset) % messages.count]
            return ConsumedMessage(
                partition: partition, offset: offset, key: message.key, value: message.value, timestampMillis: nil)
        }
        return ValidatedBatch(messages: consumed, expected: [partition: expected])
    }

    static func setUp() throws -> (PGConnection, BatchApplier.Fence, String) {
        let url = try TestEnvironment.freshDatabase()
        let connection = try PGConnection.connect(try PGConnectionConfiguration(url), logger: TestEnvironment.logger())
        _ = try PositionStore.ensureControl(group: "g", initialColor: .blue, on: connection)
        let rows = try PositionStore.claim([partition], group: "g", on: connection)
        let fence = BatchApplier.Fence(group: "g", color: .blue, instanceId: "a", epochs: rows.mapValues(\.epoch))
        return (connection, fence, url)
    }

    @Test func aReplayedBatchIsFencedAndChangesNothing() throws {
        let (connection, fence, _) = try Self.setUp()
        defer { connection.close() }
        let first = try BatchApplier.apply(Self.batch(offsets: 0..<10, expected: 0), fence: fence, on: connection)
        #expect(first.applied == 10)
        let before = try KPIQueries.kpis(window: nil, on: connection)
        #expect(throws: BatchApplier.Failure.self) {
            try BatchApplier.apply(Self.batch(offsets: 0..<10, expected: 0), fence: fence, on: connection)
        }
        #expect(try KPIQueries.kpis(window: nil, on: connection) == before)
        let position = try PositionStore.read([Self.partition], group: "g", on: connection)[Self.partition]
        #expect(position?.nextOffset == 10)
    }

    @Test func aWrongEpochOrColorIsFenced() throws {
        let (connection, fence, _) = try Self.setUp()
        defer { connection.close() }
        var stale = fence
        stale.epochs[Self.partition] = 999
        do {
            _ = try BatchApplier.apply(Self.batch(offsets: 0..<5, expected: 0), fence: stale, on: connection)
            Issue.record("a batch under a stale epoch was applied")
        } catch BatchApplier.Failure.fenced {
        }
        var green = fence
        green.color = .green
        do {
            _ = try BatchApplier.apply(Self.batch(offsets: 0..<5, expected: 0), fence: green, on: connection)
            Issue.record("a batch of the wrong color was applied")
        } catch BatchApplier.Failure.fenced {
        }
        #expect(try KPIQueries.kpis(window: nil, on: connection).eventsApplied == 0)
    }

    @Test func twoSessionsApplyingTheSameOffsetsAtOnceNeverBothSucceed() async throws {
        let (connection, fence, url) = try Self.setUp()
        defer { connection.close() }
        let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for name in ["a", "b"] {
                group.addTask {
                    try await Blocking.run {
                        let session = try PGConnection.connect(
                            try PGConnectionConfiguration(url), logger: TestEnvironment.logger())
                        defer { session.close() }
                        var mine = fence
                        mine.instanceId = name
                        do {
                            _ = try BatchApplier.apply(
                                Self.batch(offsets: 0..<200, expected: 0), fence: mine, on: session)
                            return true
                        } catch BatchApplier.Failure.fenced {
                            return false
                        }
                    }
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 1)
        let distinct = Int64(Self.batch(offsets: 0..<200, expected: 0).events.count)
        #expect(try KPIQueries.kpis(window: nil, on: connection).eventsApplied == distinct)
    }
}
