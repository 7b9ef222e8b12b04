import Foundation
import Kafka
import OrderStreamDomain
import OrderStreamLoadGen
import OrderStreamTestSupport
import PostgreSQL
import Testing

@testable import OrderStreamWorker

/// A batch with rejections commits only after the broker acknowledged their dead letters, while
/// its statement runs before that (`BatchApplier.apply(_:fence:on:afterDeadLetters:)`), against a
/// real PostgreSQL: what a second session sees (the position, the applied events, the row locks)
/// at the moment the batch waits for the acknowledgements.
@Suite(.serialized)
struct DeadLetterCommitOrderTests {
    static let start = RFC3339.parseMicros("2026-11-26T12:00:00Z")!

    /// A fresh database with the positions of the batch's partitions claimed, the batch (with
    /// rejections), the apply session and a second session that looks on.
    struct Setup {
        let batch: ValidatedBatch
        let fence: BatchApplier.Fence
        let expected: [TopicPartition: Int64]
        let connection: PGConnection
        let observer: PGConnection

        init() throws {
            let generated = Array(
                LoadGenerator(
                    orders: 40, duplicates: 0, invalid: 0.2, seed: 9, startMicros: DeadLetterCommitOrderTests.start))
            var offsets: [TopicPartition: Int64] = [:]
            let messages = generated.map { message in
                let partition = TopicPartition(topic: message.topic.rawValue, partition: 0)
                defer { offsets[partition, default: 0] += 1 }
                return ConsumedMessage(
                    partition: partition, offset: offsets[partition, default: 0], key: message.key,
                    value: message.value, timestampMillis: nil)
            }
            let url = try TestEnvironment.freshDatabase()
            connection = try PGConnection.connect(try PGConnectionConfiguration(url), logger: TestEnvironment.logger())
            observer = try PGConnection.connect(try PGConnectionConfiguration(url), logger: TestEnvironment.logger())
            _ = try PositionStore.ensureControl(group: "g", initialColor: .blue, on: connection)
            let rows = try PositionStore.claim(Array(offsets.keys), group: "g", on: connection)
            expected = rows.mapValues(\.nextOffset)
            fence = BatchApplier.Fence(group: "g", color: .blue, instanceId: "test", epochs: rows.mapValues(\.epoch))
            batch = ValidatedBatch(messages: messages, expected: expected)
        }

        func close() {
            connection.close()
            observer.close()
        }

        /// What the second session sees committed: the positions and the applied events.
        func committed() throws -> (positions: [TopicPartition: Int64], applied: Int64) {
            let positions = try PositionStore.read(Array(expected.keys), group: "g", on: observer)
            let applied = try observer.query("SELECT count(*) AS n FROM applied_events").int64(0, "n")
            return (positions.mapValues(\.nextOffset), applied)
        }

        /// Whether the second session can lock the position rows right now (NOWAIT).
        func positionRowsAreFree() throws -> Bool {
            do {
                try observer.transaction { (session) throws(PGError) in
                    _ = try session.query(
                        "SELECT 1 FROM partition_positions WHERE consumer_group = 'g' FOR UPDATE NOWAIT")
                }
                return true
            } catch let error where error.kind == .lockNotAvailable {
                return false
            }
        }

        var positionsAfter: [TopicPartition: Int64] { batch.partitions.mapValues(\.nextOffset) }
    }

    static let timedOut = KafkaError.delivery(code: KafkaErrorCode(rawValue: -192), message: "Local: Message timed out")

    @Test func theStatementRunsFirstAndCommitsOnceTheDeadLettersAreAcknowledged() throws {
        let setup = try Setup()
        defer { setup.close() }
        #expect(!setup.batch.rejected.isEmpty && !setup.batch.events.isEmpty)
        var asked: [Duration?] = []
        var seenWhileWaiting: (positions: [TopicPartition: Int64], applied: Int64, free: Bool)?
        let outcome = try BatchApplier.apply(setup.batch, fence: setup.fence, on: setup.connection) {
            (timeout) throws(KafkaError) -> Bool in
            asked.append(timeout)
            guard timeout == BatchApplier.deadLetterGrace else { return false }
            // The statement has run (it holds the position rows), nothing of it is visible yet.
            let seen = try? setup.committed()
            seenWhileWaiting = (seen?.positions ?? [:], seen?.applied ?? -1, (try? setup.positionRowsAreFree()) ?? true)
            return true
        }
        #expect(asked == [.zero, BatchApplier.deadLetterGrace])
        #expect(seenWhileWaiting?.positions == setup.expected)
        #expect(seenWhileWaiting?.applied == 0)
        #expect(seenWhileWaiting?.free == false, "the statement had not run while the acknowledgements were awaited")
        #expect(outcome.applied == Int64(setup.batch.events.count))
        let after = try setup.committed()
        #expect(after.positions == setup.positionsAfter)
        #expect(after.applied == Int64(setup.batch.events.count))
    }

    @Test func lateAcknowledgementsRollBackThenTheBatchAppliesOnceWithNothingHeldMeanwhile() throws {
        let setup = try Setup()
        defer { setup.close() }
        var asked: [Duration?] = []
        var seenWhileWaiting: (positions: [TopicPartition: Int64], applied: Int64, free: Bool)?
        let outcome = try BatchApplier.apply(setup.batch, fence: setup.fence, on: setup.connection) {
            (timeout) throws(KafkaError) -> Bool in
            asked.append(timeout)
            guard timeout == nil else { return false }
            let seen = try? setup.committed()
            seenWhileWaiting = (
                seen?.positions ?? [:], seen?.applied ?? -1, (try? setup.positionRowsAreFree()) ?? false
            )
            return true
        }
        #expect(asked == [.zero, BatchApplier.deadLetterGrace, nil])
        #expect(seenWhileWaiting?.positions == setup.expected)
        #expect(seenWhileWaiting?.applied == 0)
        #expect(seenWhileWaiting?.free == true, "a position row stayed locked while the dead letters were awaited")
        #expect(outcome.applied == Int64(setup.batch.events.count))
        let after = try setup.committed()
        #expect(after.positions == setup.positionsAfter)
        #expect(after.applied == Int64(setup.batch.events.count))
    }

    @Test func aFailedDeliveryCommitsNothing() throws {
        let setup = try Setup()
        defer { setup.close() }
        for failingAt in [Duration.zero, BatchApplier.deadLetterGrace] {
            var asked: [Duration?] = []
            do {
                _ = try BatchApplier.apply(setup.batch, fence: setup.fence, on: setup.connection) {
                    (timeout) throws(KafkaError) -> Bool in
                    asked.append(timeout)
                    if timeout == failingAt { throw Self.timedOut }
                    return false
                }
                Issue.record("a failed delivery did not fail the batch")
            } catch {
                guard case .deadLetters(let kafkaError) = error else {
                    Issue.record("expected .deadLetters, got \(error)")
                    continue
                }
                #expect(kafkaError == Self.timedOut)
            }
            #expect(asked.last == failingAt)
            let after = try setup.committed()
            #expect(after.positions == setup.expected)
            #expect(after.applied == 0)
            #expect(try setup.positionRowsAreFree(), "the failed batch left a lock behind")
        }
        // The same batch, its dead letters sent again and acknowledged, applies exactly once.
        let outcome = try BatchApplier.apply(setup.batch, fence: setup.fence, on: setup.connection) { _ in true }
        #expect(outcome.applied == Int64(setup.batch.events.count))
        #expect(try setup.committed().positions == setup.positionsAfter)
    }
}
