import Foundation
import Kafka
import OrderStreamDomain
import Testing

@testable import OrderStreamWorker

/// The hand-off between the polling thread and the lanes, without Kafka or PostgreSQL.
struct PartitionTableTests {
    static let p0 = TopicPartition(topic: "orders", partition: 0)
    static let p1 = TopicPartition(topic: "orders", partition: 1)

    static func messages(_ partition: TopicPartition, _ offsets: Range<Int64>) -> [ConsumedMessage] {
        offsets.map { ConsumedMessage(partition: partition, offset: $0, key: nil, value: [], timestampMillis: nil) }
    }

    @Test func messagesBelowThePositionAreDroppedAndLanesTakeTheirOwnPartitions() {
        let table = PartitionTable(laneCount: 2)
        table.assign([
            Self.p0: .init(expected: 5, epoch: 1, active: true, needsRefresh: false),
            Self.p1: .init(expected: 0, epoch: 1, active: true, needsRefresh: false),
        ])
        table.append(Self.messages(Self.p0, 0..<10) + Self.messages(Self.p1, 0..<3))
        let lane0 = table.take(lane: 0, maxMessages: 100, wait: .milliseconds(10))
        #expect(lane0?.messages.map(\.offset) == [5, 6, 7, 8, 9])
        #expect(lane0?.expected == [Self.p0: 5])
        let lane1 = table.take(lane: 1, maxMessages: 2, wait: .milliseconds(10))
        #expect(lane1?.messages.map(\.offset) == [0, 1])
        // In flight: nothing more for lane 0 until it commits.
        #expect(table.take(lane: 0, maxMessages: 100, wait: .milliseconds(10)) == nil)
        table.committed([Self.p0: 10])
        #expect(table.activePositions().first { $0.topicPartition == Self.p0 }?.offset == 10)
    }

    @Test func standbyPartitionsAreHeldAndNotApplied() {
        let table = PartitionTable(laneCount: 1)
        table.assign([Self.p0: .init(expected: 0, epoch: 1, active: false, needsRefresh: false)])
        table.append(Self.messages(Self.p0, 0..<3))
        #expect(table.take(lane: 0, maxMessages: 100, wait: .milliseconds(10)) == nil)
        #expect(table.fetchPlan(limit: 10).hold == [Self.p0])
        // A refreshed row that makes this color the owner activates the buffered messages.
        table.requestRefreshAll()
        let refresh = table.take(lane: 0, maxMessages: 100, wait: .milliseconds(10))
        #expect(refresh?.refresh == [Self.p0])
        table.refreshed([Self.p0: .init(nextOffset: 1, epoch: 2, active: true)])
        // What the standby fetched long ago is dropped; Kafka must first seek to PostgreSQL's
        // position, and nothing is buffered or fetched until it did.
        #expect(table.pendingSeeks() == [TopicPartitionOffset(Self.p0, offset: 1)])
        table.append(Self.messages(Self.p0, 5..<7))  // fetched before the seek: dropped
        #expect(table.take(lane: 0, maxMessages: 100, wait: .milliseconds(10)) == nil)
        table.seeked([TopicPartitionOffset(Self.p0, offset: 1)])
        #expect(table.pendingSeeks().isEmpty)
        #expect(table.fetchPlan(limit: 10).fetch == [Self.p0])
        table.append(Self.messages(Self.p0, 1..<3))
        let work = table.take(lane: 0, maxMessages: 100, wait: .milliseconds(10))
        #expect(work?.messages.map(\.offset) == [1, 2])
        #expect(work?.epochs == [Self.p0: 2])
    }

    @Test func fullBuffersPauseFetching() {
        let table = PartitionTable(laneCount: 1)
        table.assign([
            Self.p0: .init(expected: 0, epoch: 1, active: true, needsRefresh: false),
            Self.p1: .init(expected: 0, epoch: 1, active: true, needsRefresh: false),
        ])
        table.append(Self.messages(Self.p0, 0..<10))
        let flow = table.fetchPlan(limit: 5)
        #expect(flow.hold == [Self.p0])
        #expect(flow.fetch == [Self.p1])
    }

    @Test func aRevokeWaitsForTheInFlightBatchWithinItsBound() async throws {
        let table = PartitionTable(laneCount: 1)
        table.assign([Self.p0: .init(expected: 0, epoch: 1, active: true, needsRefresh: false)])
        table.append(Self.messages(Self.p0, 0..<3))
        _ = table.take(lane: 0, maxMessages: 100, wait: .milliseconds(10))
        // The lane commits 150 ms later, inside the bound: the revoke returns with no late lane.
        let committer = Thread {
            Thread.sleep(forTimeInterval: 0.15)
            table.committed([Self.p0: 3])
        }
        committer.start()
        let started = ContinuousClock.now
        let late = table.revoke([Self.p0], timeout: .seconds(5))
        #expect(late.isEmpty)
        #expect(ContinuousClock.now - started >= .milliseconds(100))
        #expect(table.isEmpty)

        // A batch that outlives the bound is reported, so its statement can be cancelled.
        table.assign([Self.p1: .init(expected: 0, epoch: 1, active: true, needsRefresh: false)])
        table.append(Self.messages(Self.p1, 0..<3))
        _ = table.take(lane: 0, maxMessages: 100, wait: .milliseconds(10))
        let stuck = table.revoke([Self.p1], timeout: .milliseconds(100))
        #expect(stuck == [0])
        table.release([Self.p1])
        #expect(table.waitIdle(until: Date().addingTimeInterval(1)))
    }

    @Test func stoppingEndsTheLanesAfterTheirBatch() {
        let table = PartitionTable(laneCount: 1)
        table.assign([Self.p0: .init(expected: 0, epoch: 1, active: true, needsRefresh: false)])
        table.append(Self.messages(Self.p0, 0..<3))
        let work = table.take(lane: 0, maxMessages: 100, wait: .milliseconds(10))
        #expect(work != nil)
        table.stop(deadline: Date().addingTimeInterval(0.05))
        #expect(table.stopping)
        #expect(!table.waitIdle(until: Date().addingTimeInterval(0.01)))
        table.committed([Self.p0: 3])
        #expect(table.waitIdle(until: Date().addingTimeInterval(1)))
        #expect(table.take(lane: 0, maxMessages: 100, wait: .milliseconds(10)) == nil)
        Thread.sleep(forTimeInterval: 0.06)
        #expect(table.pastStopDeadline)
    }
}

extension PartitionTable.Work: Equatable {
    public static func == (lhs: PartitionTable.Work, rhs: PartitionTable.Work) -> Bool {
        lhs.messages.map(\.offset) == rhs.messages.map(\.offset) && lhs.expected == rhs.expected
            && lhs.epochs == rhs.epochs && lhs.refresh == rhs.refresh
    }
}

/// Dead letters keep their bytes and say where they came from.
struct DeadLetterMessageTests {
    @Test func aDeadLetterCarriesTheOriginalBytesAndItsOrigin() {
        let source = ConsumedMessage(
            partition: TopicPartition(topic: "payments", partition: 4), offset: 77,
            key: Array("ord-1".utf8), value: Array(#"{"event_id":"e-9","x":1}"#.utf8), timestampMillis: nil)
        let rejected = ValidatedBatch.Rejected(
            message: source, rejection: Rejection(.unsupportedVersion, "schema_version must be 1"))
        let letter = DeadLetterPublisher.message(for: rejected)
        #expect(letter.topic == "payments.dlq" && letter.key == source.key && letter.value == source.value)
        let headers = Dictionary(
            uniqueKeysWithValues: letter.headers.map { ($0.key, String(decoding: $0.value ?? [], as: UTF8.self)) })
        #expect(
            headers == [
                "reason": "unsupported_version", "detail": "schema_version must be 1", "source_topic": "payments",
                "source_partition": "4", "source_offset": "77",
            ])
        #expect(DeadLetterPublisher.eventId(of: source.value) == "e-9")
        #expect(DeadLetterPublisher.eventId(of: Array("not json".utf8)) == nil)
    }
}
