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

        /// What the second session saw while the batch awaited its acknowledgements (nil where it
        /// could not look).
        struct Seen {
            var positions: [TopicPartition: Int64]?
            var applied: Int64?
            var rowsFree: Bool?
        }

        /// Applies the batch with acknowledgements that arrive only when awaited with `arriving`
        /// as the timeout (never at an earlier wait), the second session looking at that moment.
        /// Returns every timeout the apply waited with, what was seen, and the outcome.
        func apply(
            acknowledgedAt arriving: Duration?
        ) throws -> (
            asked: [Duration?], seen: Seen?, outcome: BatchApplier.Outcome
        ) {
            var asked: [Duration?] = []
            var seen: Seen?
            let outcome = try BatchApplier.apply(batch, fence: fence, on: connection) {
                (timeout) throws(KafkaError) -> Bool in
                asked.append(timeout)
                guard timeout == arriving else { return false }
                let visible = try? committed()
                seen = Seen(
                    positions: visible?.positions, applied: visible?.applied, rowsFree: try? positionRowsAreFree())
                return true
            }
            return (asked, seen, outcome)
        }

        /// The batch committed exactly once: every event applied, the positions past the batch.
        func expectAppliedOnce(_ outcome: BatchApplier.Outcome) throws {
            #expect(outcome.applied == Int64(batch.events.count))
            let after = try committed()
            #expect(after.positions == positionsAfter)
            #expect(after.applied == Int64(batch.events.count))
        }
    }

    static let timedOut = KafkaError.delivery(code: KafkaErrorCode(rawValue: -192), message: "Local: Message timed out")

    @Test func theStatementRunsFirstAndCommitsOnceTheDeadLettersAreAcknowledged() throws {
        let setup = try Setup()
        defer { setup.close() }
        #expect(!setup.batch.rejected.isEmpty && !setup.batch.events.isEmpty)
        let run = try setup.apply(acknowledgedAt: BatchApplier.deadLetterGrace)
        #expect(run.asked == [.zero, BatchApplier.deadLetterGrace])
        // The statement has run (it holds the position rows), nothing of it is visible yet.
        #expect(run.seen?.positions == setup.expected)
        #expect(run.seen?.applied == 0)
        #expect(run.seen?.rowsFree == false, "the statement had not run while the acknowledgements were awaited")
        try setup.expectAppliedOnce(run.outcome)
    }

    @Test func lateAcknowledgementsRollBackThenTheBatchAppliesOnceWithNothingHeldMeanwhile() throws {
        let setup = try Setup()
        defer { setup.close() }
        let run = try setup.apply(acknowledgedAt: nil)
        #expect(run.asked == [.zero, BatchApplier.deadLetterGrace, nil])
        #expect(run.seen?.positions == setup.expected)
        #expect(run.seen?.applied == 0)
        #expect(run.seen?.rowsFree == true, "a position row stayed locked while the dead letters were awaited")
        try setup.expectAppliedOnce(run.outcome)
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
        try setup.expectAppliedOnce(outcome)
    }
}
