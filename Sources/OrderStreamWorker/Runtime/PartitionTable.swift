import Foundation
import Kafka

/// The partitions this worker holds, shared by the polling thread (which fills them and
/// pauses them) and the apply lanes (which take batches from them).
///
/// The invariant that makes dropping work safe: the buffered messages of a partition, followed
/// by whatever Kafka fetches next, always cover every offset from the partition's `expected`
/// position on. Messages are only ever dropped below a position read from PostgreSQL, or when
/// the partition is released (its next owner starts from PostgreSQL's position).
///
/// `@unchecked Sendable`: every stored property is read and written only while `condition` is
/// locked (NSCondition is a mutex with a condition variable); the lanes wait on it.
final class PartitionTable: @unchecked Sendable {
    /// One held partition.
    struct Entry {
        /// The lane (PostgreSQL connection) that applies this partition, so its batches stay
        /// in order and never race each other.
        let lane: Int
        /// `next_offset` in PostgreSQL as this worker last read or wrote it.
        var expected: Int64
        /// The epoch this worker's color owns the partition under.
        var epoch: Int64
        /// This worker's color owns the partition: its lane may apply it. Otherwise it is held
        /// hot for a cutover: assigned, paused, buffered messages kept.
        var active: Bool
        /// The lane must re-read the position row before applying (after a fence, a cutover
        /// notice, or an assignment while PostgreSQL was unreachable).
        var needsRefresh: Bool
        /// Messages fetched and not yet applied, in offset order; `head` is the first live one.
        var buffer: [ConsumedMessage] = []
        var head = 0
        /// A lane is applying a batch that includes this partition.
        var inFlight = false
        /// The partition just became active (a cutover): the polling thread must move Kafka's
        /// fetch position here before anything is buffered again, because what a standby fetched
        /// long ago says nothing about where PostgreSQL's position is now.
        var seekTo: Int64?

        var buffered: Int { buffer.count - head }
    }

    private let condition = NSCondition()
    private var entries: [TopicPartition: Entry] = [:]
    private var isStopping = false
    private var stopDeadline = Date.distantFuture
    /// Revoked partitions whose batch was still in flight when they were forgotten.
    private var revokedInFlight = Set<TopicPartition>()

    let laneCount: Int

    init(laneCount: Int) {
        self.laneCount = max(1, laneCount)
    }

    func lane(for partition: TopicPartition) -> Int {
        Int(partition.partition) % laneCount
    }

    // MARK: polling thread

    /// Registers newly assigned partitions.
    func assign(_ partitions: [TopicPartition: (expected: Int64, epoch: Int64, active: Bool, needsRefresh: Bool)]) {
        locked {
            for (key, state) in partitions {
                entries[key] = Entry(
                    lane: lane(for: key), expected: state.expected, epoch: state.epoch,
                    active: state.active, needsRefresh: state.needsRefresh)
            }
        }
    }

    /// Buffers fetched messages. Messages below the expected position (already applied) and
    /// of partitions no longer held are dropped.
    func append(_ messages: [ConsumedMessage]) {
        guard !messages.isEmpty else { return }
        locked {
            for message in messages {
                guard var entry = entries[message.partition], entry.seekTo == nil, message.offset >= entry.expected
                else { continue }
                entries[message.partition] = nil  // keep the buffer uniquely referenced while appending
                entry.buffer.append(message)
                entries[message.partition] = entry
            }
        }
    }

    /// Which held partitions should be fetching: active, not stopping, and with a buffer under
    /// `limit` (backpressure). The polling thread pauses the others.
    func fetchable(limit: Int) -> (fetch: Set<TopicPartition>, hold: Set<TopicPartition>) {
        locked {
            var fetch = Set<TopicPartition>()
            var hold = Set<TopicPartition>()
            for (key, entry) in entries {
                if !isStopping && entry.active && !entry.needsRefresh && entry.buffered < limit {
                    fetch.insert(key)
                } else {
                    hold.insert(key)
                }
            }
            return (fetch, hold)
        }
    }

    /// Releases revoked partitions: forgets them (buffers included), then waits (bounded) until
    /// no lane is applying them any more. Returns the lanes still applying one of them when
    /// `timeout` ran out, so the caller can cancel their statements. Whatever such a late
    /// statement does is safe: it either commits before the next owner reads the position, or
    /// fails its compare-and-set.
    func revoke(_ partitions: [TopicPartition], timeout: Duration) -> Set<Int> {
        let deadline = Date().addingTimeInterval(timeout.seconds)
        condition.lock()
        defer { condition.unlock() }
        var busyLanes = Set<Int>()
        for key in partitions {
            if let entry = entries.removeValue(forKey: key), entry.inFlight {
                busyLanes.insert(entry.lane)
                revokedInFlight.insert(key)
            }
        }
        condition.broadcast()
        while !revokedInFlight.isDisjoint(with: partitions) {
            if !condition.wait(until: deadline) { break }
        }
        let late = partitions.filter { revokedInFlight.contains($0) }
        return Set(late.map { lane(for: $0) }).intersection(busyLanes)
    }

    /// Marks every held partition for a position refresh (a cutover notice).
    func requestRefreshAll() {
        locked {
            for key in entries.keys { entries[key]?.needsRefresh = true }
        }
    }

    /// Expected positions of the active partitions: Kafka's committed offsets (a hint).
    func activePositions() -> [TopicPartitionOffset] {
        locked {
            entries.filter { $0.value.active }.map { TopicPartitionOffset($0.key, offset: $0.value.expected) }
        }
    }

    /// For each active partition: the position this worker last committed or read from
    /// PostgreSQL, and the Kafka timestamp (ms) of the first unapplied buffered message, the
    /// oldest event waiting (for the lag in seconds, LagMonitor). Messages a lane has taken stay
    /// buffered until their commit, so they count as waiting.
    func unappliedHeads() -> [TopicPartition: (expected: Int64, oldestTimestampMillis: Int64?)] {
        reading {
            var heads: [TopicPartition: (expected: Int64, oldestTimestampMillis: Int64?)] = [:]
            for (key, entry) in entries where entry.active {
                heads[key] = (entry.expected, entry.buffered > 0 ? entry.buffer[entry.head].timestampMillis : nil)
            }
            return heads
        }
    }

    var heldPartitions: [TopicPartition] { reading { Array(entries.keys) } }

    /// The lanes were told to stop.
    var stopping: Bool { reading { isStopping } }

    /// The lanes were told to stop and the drain deadline has passed: in-flight work is
    /// abandoned (rolled back) rather than retried.
    var pastStopDeadline: Bool { reading { isStopping && Date() >= stopDeadline } }

    /// Whether any of `partitions` is still held (not revoked).
    func holdsAny(_ partitions: [TopicPartition]) -> Bool {
        reading { partitions.contains { entries[$0] != nil } }
    }

    var activeCount: Int { reading { entries.values.filter(\.active).count } }

    var isEmpty: Bool { reading { entries.isEmpty } }

    // MARK: lanes

    /// What a lane takes to apply: messages of its partitions, and each partition's expected
    /// position and epoch at the time it was taken.
    struct Work {
        var messages: [ConsumedMessage] = []
        var expected: [TopicPartition: Int64] = [:]
        var epochs: [TopicPartition: Int64] = [:]
        var refresh: [TopicPartition] = []
    }

    /// Blocks until lane `lane` has work (up to `maxMessages` messages, or partitions to
    /// refresh), or the table stops. Marks the taken partitions in flight.
    func take(lane: Int, maxMessages: Int, wait: Duration) -> Work? {
        let deadline = Date().addingTimeInterval(wait.seconds)
        condition.lock()
        defer { condition.unlock() }
        while true {
            var work = Work()
            for (key, entry) in entries where !isStopping && entry.lane == lane && !entry.inFlight {
                if entry.needsRefresh {
                    work.refresh.append(key)
                    entries[key]?.inFlight = true
                }
            }
            if !work.refresh.isEmpty { return work }
            if !isStopping {
                for key in entries.keys.sorted() {
                    guard let entry = entries[key], entry.lane == lane, entry.active, !entry.inFlight,
                          entry.buffered > 0, work.messages.count < maxMessages
                    else { continue }
                    let take = min(entry.buffered, maxMessages - work.messages.count)
                    work.messages.append(contentsOf: entry.buffer[entry.head..<(entry.head + take)])
                    work.expected[key] = entry.expected
                    work.epochs[key] = entry.epoch
                    entries[key]?.inFlight = true
                }
                if !work.messages.isEmpty { return work }
            }
            if isStopping || !condition.wait(until: deadline) { return nil }
        }
    }

    /// A lane applied its batch: the buffers lose the applied messages and the positions move.
    func committed(_ newPositions: [TopicPartition: Int64]) {
        locked {
            for (key, next) in newPositions {
                revokedInFlight.remove(key)
                guard var entry = entries[key] else { continue }
                entries[key] = nil
                entry.expected = next
                Self.dropBuffered(below: next, in: &entry)
                entry.inFlight = false
                entries[key] = entry
            }
        }
    }

    /// A lane committed part of its batch (poison isolation): the positions move and the buffers
    /// lose what was applied, while the partitions stay in flight for the rest of the batch.
    func progressed(_ newPositions: [TopicPartition: Int64]) {
        locked {
            for (key, next) in newPositions {
                guard var entry = entries[key] else { continue }
                entries[key] = nil
                entry.expected = next
                Self.dropBuffered(below: next, in: &entry)
                entries[key] = entry
            }
        }
    }

    /// A lane gives partitions back without applying (transient failure, stop, revoke).
    func release(_ partitions: [TopicPartition]) {
        locked {
            for key in partitions {
                revokedInFlight.remove(key)
                entries[key]?.inFlight = false
            }
        }
    }

    /// A lane re-read the position rows: adopt them, drop what is already applied.
    func refreshed(_ rows: [TopicPartition: (nextOffset: Int64, epoch: Int64, active: Bool)]) {
        locked {
            for (key, row) in rows {
                revokedInFlight.remove(key)
                guard var entry = entries[key] else { continue }
                entries[key] = nil
                // A partition that just became active (a cutover, a resume), or whose position
                // moved other than by this worker's commits (a PostgreSQL failover that lost its
                // last asynchronous commits, an operator's offset reset either way, another
                // owner's commits): what is buffered or fetched next no longer starts at the
                // position, so Kafka's fetch position must move there first.
                if (row.active && !entry.active) || row.nextOffset != entry.expected {
                    entry.seekTo = row.nextOffset
                    entry.buffer.removeAll()
                    entry.head = 0
                }
                entry.expected = row.nextOffset
                entry.epoch = row.epoch
                entry.active = row.active
                entry.needsRefresh = false
                entry.inFlight = false
                Self.dropBuffered(below: row.nextOffset, in: &entry)
                entries[key] = entry
            }
        }
    }

    /// The fetch positions the polling thread must set before these partitions fetch again.
    func pendingSeeks() -> [TopicPartitionOffset] {
        reading {
            entries.compactMap { key, entry in entry.seekTo.map { TopicPartitionOffset(key, offset: $0) } }
        }
    }

    /// The polling thread moved the fetch positions: what Kafka delivers from now on starts there
    /// (librdkafka discards messages fetched before a seek).
    func seeked(_ done: [TopicPartitionOffset]) {
        locked {
            for position in done where entries[position.topicPartition]?.seekTo == position.offset {
                entries[position.topicPartition]?.seekTo = nil
            }
        }
    }

    /// Marks partitions as needing a refresh (a fence) and gives them back.
    func fenced(_ partitions: [TopicPartition]) {
        locked {
            for key in partitions {
                revokedInFlight.remove(key)
                entries[key]?.needsRefresh = true
                entries[key]?.inFlight = false
            }
        }
    }

    /// Stops the lanes: they finish the batch in hand (until `deadline`) and take nothing more.
    func stop(deadline: Date) {
        locked {
            isStopping = true
            stopDeadline = deadline
            for key in entries.keys {
                entries[key]?.buffer = []
                entries[key]?.head = 0
            }
        }
    }

    /// Waits until no partition is in flight, or `deadline`. True when idle.
    func waitIdle(until deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while entries.values.contains(where: \.inFlight) || !revokedInFlight.isEmpty {
            if !condition.wait(until: deadline) {
                return !entries.values.contains(where: \.inFlight) && revokedInFlight.isEmpty
            }
        }
        return true
    }

    private static func dropBuffered(below offset: Int64, in entry: inout Entry) {
        while entry.head < entry.buffer.count, entry.buffer[entry.head].offset < offset {
            entry.head += 1
        }
        if entry.head == entry.buffer.count {
            entry.buffer.removeAll(keepingCapacity: true)
            entry.head = 0
        } else if entry.head > 4_096 {
            entry.buffer.removeFirst(entry.head)
            entry.head = 0
        }
    }

    /// Runs `body` under the lock without waking anyone (reads).
    private func reading<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }

    /// Runs `body` under the lock and wakes every waiter (changes).
    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        return body()
    }
}

extension Duration {
    /// The duration in seconds, as a `TimeInterval`.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
