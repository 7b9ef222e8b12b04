import Kafka

/// The partitions this worker holds, as a value: every change is a mutating transition that
/// returns what its caller must do (what to fetch and what to pause, where to seek, what a lane
/// applies, which lanes are still busy with a revoked partition). No lock, no thread, no clock:
/// `PartitionTable` owns one behind its lock and does the waiting, so every rule below is tested
/// without threads or sleeps (`PartitionStatesTests`).
///
/// The invariant that makes dropping work safe: the buffered messages of a partition, followed
/// by whatever Kafka fetches next, always cover every offset from the partition's `expected`
/// position on. Messages are only ever dropped below a position read from PostgreSQL, or when
/// the partition is released (its next owner starts from PostgreSQL's position).
struct PartitionStates: Sendable {
    /// One held partition.
    struct Entry: Sendable {
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
        /// The partition just became active (a cutover) or its position moved under this worker:
        /// the polling thread must move Kafka's fetch position here before anything is buffered
        /// again, because what was fetched before says nothing about where PostgreSQL's position is.
        var seekTo: Int64?

        var buffered: Int { buffer.count - head }
    }

    /// A newly assigned partition's starting point (read from PostgreSQL by the rebalance).
    struct Assignment: Sendable, Equatable {
        var expected: Int64
        var epoch: Int64
        var active: Bool
        var needsRefresh: Bool
    }

    /// A position row as a lane re-read it.
    struct PositionRow: Sendable, Equatable {
        var nextOffset: Int64
        var epoch: Int64
        var active: Bool
    }

    /// What the polling thread does with the held partitions: fetch these, pause those.
    struct FetchPlan: Sendable, Equatable {
        var fetch: Set<TopicPartition> = []
        var hold: Set<TopicPartition> = []

        /// The calls that bring Kafka from `paused` (what the polling thread paused so far) to
        /// this plan.
        func changes(from paused: Set<TopicPartition>) -> FlowChange {
            FlowChange(pause: hold.subtracting(paused), resume: fetch.intersection(paused))
        }

        /// What is paused once `change` is done; partitions no longer held are forgotten (a new
        /// assignment starts unpaused).
        func paused(after change: FlowChange, from paused: Set<TopicPartition>) -> Set<TopicPartition> {
            paused.union(change.pause).subtracting(change.resume).intersection(fetch.union(hold))
        }
    }

    /// Pause these, resume those.
    struct FlowChange: Sendable, Equatable {
        var pause: Set<TopicPartition>
        var resume: Set<TopicPartition>
    }

    /// An active partition's oldest waiting event, for the lag in seconds.
    struct UnappliedHead: Sendable, Equatable {
        /// The position this worker last committed or read from PostgreSQL.
        var expected: Int64
        /// The Kafka timestamp (ms) of the first unapplied buffered message, if any is buffered.
        var oldestTimestampMillis: Int64?
    }

    /// What a lane takes to apply: messages of its partitions, and each partition's expected
    /// position and epoch at the time it was taken; or partitions whose rows it must re-read.
    struct Work: Sendable {
        var messages: [ConsumedMessage] = []
        var expected: [TopicPartition: Int64] = [:]
        var epochs: [TopicPartition: Int64] = [:]
        var refresh: [TopicPartition] = []
    }

    private(set) var entries: [TopicPartition: Entry] = [:]
    /// The lanes were told to stop: they take nothing more.
    private(set) var isStopping = false
    /// Revoked partitions whose batch was still in flight when they were forgotten.
    private(set) var revokedInFlight = Set<TopicPartition>()

    let laneCount: Int

    init(laneCount: Int) {
        self.laneCount = max(1, laneCount)
    }

    func lane(for partition: TopicPartition) -> Int {
        Int(partition.partition) % laneCount
    }

    // MARK: the polling thread's transitions

    /// Registers newly assigned partitions.
    mutating func assign(_ partitions: [TopicPartition: Assignment]) {
        for (key, state) in partitions {
            entries[key] = Entry(
                lane: lane(for: key), expected: state.expected, epoch: state.epoch,
                active: state.active, needsRefresh: state.needsRefresh)
        }
    }

    /// Buffers fetched messages. Messages below the expected position (already applied), of
    /// partitions waiting for a seek, and of partitions no longer held are dropped.
    mutating func append(_ messages: [ConsumedMessage]) {
        for message in messages {
            guard var entry = entries[message.partition], entry.seekTo == nil, message.offset >= entry.expected
            else { continue }
            entries[message.partition] = nil  // keep the buffer uniquely referenced while appending
            entry.buffer.append(message)
            entries[message.partition] = entry
        }
    }

    /// Which held partitions fetch: active, refreshed, not stopping, and with a buffer under
    /// `limit` (back-pressure). The polling thread pauses the others.
    func fetchPlan(limit: Int) -> FetchPlan {
        var plan = FetchPlan()
        for (key, entry) in entries {
            if !isStopping && entry.active && !entry.needsRefresh && entry.buffered < limit {
                plan.fetch.insert(key)
            } else {
                plan.hold.insert(key)
            }
        }
        return plan
    }

    /// The fetch positions the polling thread must set before these partitions fetch again.
    func pendingSeeks() -> [TopicPartitionOffset] {
        entries.compactMap { key, entry in entry.seekTo.map { TopicPartitionOffset(key, offset: $0) } }
    }

    /// The polling thread moved the fetch positions: what Kafka delivers from now on starts there
    /// (librdkafka discards messages fetched before a seek). A seek superseded since is kept.
    mutating func seeked(_ done: [TopicPartitionOffset]) {
        for position in done where entries[position.topicPartition]?.seekTo == position.offset {
            entries[position.topicPartition]?.seekTo = nil
        }
    }

    /// Forgets revoked partitions, buffers included. Returns the lanes still applying one of
    /// them: the caller waits (bounded) until `stillInFlight` is empty, or cancels those lanes.
    mutating func revoke(_ partitions: [TopicPartition]) -> Set<Int> {
        var busyLanes = Set<Int>()
        for key in partitions {
            if let entry = entries.removeValue(forKey: key), entry.inFlight {
                busyLanes.insert(entry.lane)
                revokedInFlight.insert(key)
            }
        }
        return busyLanes
    }

    /// Which of `partitions` a lane is still applying although they were revoked.
    func stillInFlight(_ partitions: [TopicPartition]) -> [TopicPartition] {
        partitions.filter { revokedInFlight.contains($0) }
    }

    /// Marks every held partition for a position refresh (a cutover notice).
    mutating func requestRefreshAll() {
        for key in entries.keys { entries[key]?.needsRefresh = true }
    }

    /// Stops the lanes: they finish the batch in hand and take nothing more; buffers are dropped
    /// (the next owner starts from PostgreSQL's positions).
    mutating func stop() {
        isStopping = true
        for key in entries.keys {
            entries[key]?.buffer = []
            entries[key]?.head = 0
        }
    }

    // MARK: the lanes' transitions

    /// What lane `lane` applies now: partitions to refresh first, else up to `maxMessages`
    /// messages of its active partitions, the oldest first across them (`oldestFirstShares`),
    /// listed in partition order; marks them in flight. Nil when the lane has nothing to do (it
    /// waits) or the table stops.
    ///
    /// Why the oldest first: a batch then holds one stretch of the stream, as its producers
    /// wrote it, so an order's events (on two topics) and a minute's KPI buckets land in one
    /// statement instead of being updated again by the next ones; and the oldest waiting message
    /// waits least. Taking a fair *count* from every partition let partitions drift apart in
    /// time under a backlog (a partition of `orders` holds fewer events per minute than one of
    /// `payments`), which made batches span hours of the stream: in a benchmark run the worker
    /// updated 266,700 order rows and 413,016 bucket rows where the same events applied in stream
    /// order updated 1,145 and 2,390 (docs/BENCHMARKS.md, "Batches in stream order").
    mutating func take(lane: Int, maxMessages: Int) -> Work? {
        guard !isStopping else { return nil }
        var work = Work()
        for (key, entry) in entries where entry.lane == lane && !entry.inFlight && entry.needsRefresh {
            work.refresh.append(key)
            entries[key]?.inFlight = true
        }
        if !work.refresh.isEmpty { return work }
        let ready = entries.lazy.filter { _, entry in
            entry.lane == lane && entry.active && !entry.inFlight && entry.buffered > 0
        }.sorted { $0.key < $1.key }
        let shares = Self.oldestFirstShares(
            ready.map { _, entry in entry.buffer[entry.head...].lazy.map(\.timestampMillis) }, capacity: maxMessages)
        for ((key, entry), share) in zip(ready, shares) where share > 0 {
            work.messages.append(contentsOf: entry.buffer[entry.head..<(entry.head + share)])
            work.expected[key] = entry.expected
            work.epochs[key] = entry.epoch
            entries[key]?.inFlight = true
        }
        return work.messages.isEmpty ? nil : work
    }

    /// A lane applied its batch: the buffers lose the applied messages, the positions move, the
    /// partitions are free again.
    mutating func committed(_ newPositions: [TopicPartition: Int64]) {
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

    /// A lane committed part of its batch (poison isolation): the positions move and the buffers
    /// lose what was applied, while the partitions stay in flight for the rest of the batch.
    mutating func progressed(_ newPositions: [TopicPartition: Int64]) {
        for (key, next) in newPositions {
            guard var entry = entries[key] else { continue }
            entries[key] = nil
            entry.expected = next
            Self.dropBuffered(below: next, in: &entry)
            entries[key] = entry
        }
    }

    /// A lane gives partitions back without applying (transient failure, stop, revoke).
    mutating func release(_ partitions: [TopicPartition]) {
        for key in partitions {
            revokedInFlight.remove(key)
            entries[key]?.inFlight = false
        }
    }

    /// A lane re-read the position rows: adopt them, drop what is already applied, and ask for
    /// a seek where what is buffered or fetched next no longer starts at the position.
    mutating func refreshed(_ rows: [TopicPartition: PositionRow]) {
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

    /// A lane's batch was fenced: the partitions must be refreshed before anything else, and are
    /// given back.
    mutating func fenced(_ partitions: [TopicPartition]) {
        for key in partitions {
            revokedInFlight.remove(key)
            entries[key]?.needsRefresh = true
            entries[key]?.inFlight = false
        }
    }

    // MARK: reads

    /// No lane is applying anything, revoked partitions included.
    var isIdle: Bool { !entries.values.contains(where: \.inFlight) && revokedInFlight.isEmpty }

    /// Expected positions of the active partitions: Kafka's committed offsets (a hint).
    func activePositions() -> [TopicPartitionOffset] {
        entries.filter { $0.value.active }.map { TopicPartitionOffset($0.key, offset: $0.value.expected) }
    }

    /// For each active partition, its position and oldest waiting event (messages a lane has
    /// taken stay buffered until their commit, so they count as waiting).
    func unappliedHeads() -> [TopicPartition: UnappliedHead] {
        var heads: [TopicPartition: UnappliedHead] = [:]
        for (key, entry) in entries where entry.active {
            heads[key] = UnappliedHead(
                expected: entry.expected,
                oldestTimestampMillis: entry.buffered > 0 ? entry.buffer[entry.head].timestampMillis : nil)
        }
        return heads
    }

    var heldPartitions: [TopicPartition] { Array(entries.keys) }

    func holdsAny(_ partitions: [TopicPartition]) -> Bool {
        partitions.contains { entries[$0] != nil }
    }

    var activeCount: Int { entries.values.filter(\.active).count }

    private static func dropBuffered(below offset: Int64, in entry: inout Entry) {
        while entry.head < entry.buffer.count, entry.buffer[entry.head].offset < offset {
            entry.head += 1
        }
        if entry.head == entry.buffer.count {
            entry.buffer.removeAll(keepingCapacity: true)
            entry.head = 0
        } else if entry.head >= 64 && entry.head >= entry.buffered {
            // Compacts now and then rather than on every commit: removing from the front of
            // an array moves every element after it. Once the applied messages are at least as
            // many as the live ones, the move costs no more than the drops that led to it
            // (amortized constant), and applied messages never hold more memory than the live
            // ones: with batches that take a slice of every partition (`take`), a buffer is
            // rarely empty, and a fixed threshold of 4,096 kept up to 4,096 applied messages
            // per partition alive (304 MB of peak RSS in a benchmark run instead of about 145 MB).
            entry.buffer.removeFirst(entry.head)
            entry.head = 0
        }
    }
}
