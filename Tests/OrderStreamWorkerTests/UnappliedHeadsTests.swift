import Kafka
import Testing

@testable import OrderStreamWorker

/// What the lag monitor reads from the partition table: per active partition its position and
/// the timestamp of the oldest message still waiting (taken by a lane or not).
struct UnappliedHeadsTests {
    static let p0 = TopicPartition(topic: "orders", partition: 0)
    static let p1 = TopicPartition(topic: "orders", partition: 1)
    static let standby = TopicPartition(topic: "payments", partition: 0)

    static func messages(_ partition: TopicPartition, _ offsets: Range<Int64>) -> [ConsumedMessage] {
        offsets.map {
            ConsumedMessage(partition: partition, offset: $0, key: nil, value: [], timestampMillis: 1_000 + $0)
        }
    }

    @Test func theOldestWaitingMessageDatesTheLagUntilItsCommit() throws {
        let table = PartitionTable(laneCount: 1)
        table.assign([
            Self.p0: .init(expected: 5, epoch: 1, active: true, needsRefresh: false),
            Self.p1: .init(expected: 0, epoch: 1, active: true, needsRefresh: false),
            Self.standby: .init(expected: 0, epoch: 1, active: false, needsRefresh: false),
        ])
        table.append(Self.messages(Self.p0, 0..<10) + Self.messages(Self.standby, 0..<3))
        var heads = table.unappliedHeads()
        // Below the position nothing is kept: offset 5 is the oldest waiting.
        #expect(heads[Self.p0]?.expected == 5 && heads[Self.p0]?.oldestTimestampMillis == 1_005)
        // Nothing buffered: the position alone.
        #expect(heads[Self.p1]?.expected == 0 && heads[Self.p1]?.oldestTimestampMillis == nil)
        // A standby's partitions are not this worker's lag.
        #expect(heads[Self.standby] == nil)

        // Taken by a lane, still waiting until the commit.
        let work = try #require(table.take(lane: 0, maxMessages: 3, wait: .milliseconds(10)))
        #expect(work.messages.map(\.offset) == [5, 6, 7])
        #expect(table.unappliedHeads()[Self.p0]?.oldestTimestampMillis == 1_005)
        table.committed([Self.p0: 8])
        heads = table.unappliedHeads()
        #expect(heads[Self.p0]?.expected == 8 && heads[Self.p0]?.oldestTimestampMillis == 1_008)
        table.committed([Self.p0: 10])
        #expect(table.unappliedHeads()[Self.p0]?.expected == 10)
        #expect(table.unappliedHeads()[Self.p0]?.oldestTimestampMillis == nil)
    }
}
