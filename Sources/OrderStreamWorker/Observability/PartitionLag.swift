import Kafka

/// How far PostgreSQL's position of one partition is behind Kafka, in events and in seconds.
///
/// The position is `partition_positions.next_offset` (the truth: what is applied); Kafka's
/// committed offsets are only a hint and never used here. A paused partition is reported as
/// paused, never as lag: nobody is supposed to apply it, so its backlog asks for no workers.
public struct PartitionLag: Sendable, Equatable {
    public var partition: TopicPartition
    /// `next_offset` in PostgreSQL: the first offset not yet applied.
    public var position: Int64
    /// Kafka's high watermark (the offset the next produced message gets); nil when the broker
    /// did not answer.
    public var highWatermark: Int64?
    /// `partition_positions.paused` (schema 5).
    public var paused: Bool
    /// Kafka timestamp (milliseconds since the epoch) of the oldest unapplied message: the
    /// message at the position, or the first buffered one at or above it. nil when unknown.
    public var oldestUnappliedTimestampMillis: Int64?

    public init(
        partition: TopicPartition, position: Int64, highWatermark: Int64?, paused: Bool,
        oldestUnappliedTimestampMillis: Int64? = nil
    ) {
        self.partition = partition
        self.position = position
        self.highWatermark = highWatermark
        self.paused = paused
        self.oldestUnappliedTimestampMillis = oldestUnappliedTimestampMillis
    }

    /// High watermark minus position, never negative (a position past the watermark is a
    /// truncated or recreated topic: nothing there is waiting). nil when the watermark is
    /// unknown or the partition is paused.
    public var events: Int64? {
        guard !paused, let highWatermark else { return nil }
        return max(0, highWatermark - position)
    }

    /// Counts towards scaling: not paused and at least one event waiting.
    public var isLagging: Bool { (events ?? 0) > 0 }

    /// Age in seconds of the oldest unapplied event at `nowMillis`: 0 when nothing waits; nil
    /// when something waits but its timestamp is unknown, or the partition is paused or
    /// unmeasured. Never negative (producer clocks ahead of ours would say so).
    public func seconds(nowMillis: Int64) -> Double? {
        guard let events else { return nil }
        if events == 0 { return 0 }
        guard let oldestUnappliedTimestampMillis else { return nil }
        return Double(max(0, nowMillis - oldestUnappliedTimestampMillis)) / 1000
    }

    /// What `status` and the metrics say about the partition.
    public enum State: String, Sendable {
        case paused, lagging
        case caughtUp = "caught_up"
        case unknown
    }

    public var state: State {
        if paused { return .paused }
        guard let events else { return .unknown }
        return events > 0 ? .lagging : .caughtUp
    }
}
