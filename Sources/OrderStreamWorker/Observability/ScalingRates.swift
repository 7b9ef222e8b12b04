import Kafka

/// The two rates `DesiredWorkers` needs, from successive lag measurements (pure: the caller
/// passes the clock).
///
/// - Incoming: growth of the high watermarks of the partitions not paused, per second.
/// - Apply capacity of one worker: the growth of PostgreSQL's positions of the partitions this
///   worker owns, per second, over intervals where those partitions had a backlog at both ends,
///   i.e. the worker was applying all along and its rate measures what it can do, not what
///   arrived. Idle intervals leave the estimate unchanged.
///
/// Both are smoothed (exponential moving average), so one slow batch does not swing the gauge.
public struct ScalingRates: Sendable {
    private struct Sample {
        var atSeconds: Double
        var highWatermarks: [TopicPartition: Int64]
        var ownedPositions: [TopicPartition: Int64]
        var ownedBacklog: Bool
    }

    /// Weight of the newest interval in the averages.
    public static let smoothing = 0.3

    private var last: Sample?
    public private(set) var incomingEventsPerSecond: Double?
    public private(set) var applyEventsPerSecondPerWorker: Double?

    public init() {}

    /// Adds a measurement of the group's partitions taken at `atSeconds` (any monotonic clock);
    /// `owned` are the partitions this worker applies.
    public mutating func observe(atSeconds: Double, lags: [PartitionLag], owned: Set<TopicPartition>) {
        var highs: [TopicPartition: Int64] = [:]
        var positions: [TopicPartition: Int64] = [:]
        var ownedBacklog = false
        for lag in lags where !lag.paused {
            if let high = lag.highWatermark { highs[lag.partition] = high }
            if owned.contains(lag.partition) {
                positions[lag.partition] = lag.position
                if lag.isLagging { ownedBacklog = true }
            }
        }
        let sample = Sample(
            atSeconds: atSeconds, highWatermarks: highs, ownedPositions: positions, ownedBacklog: ownedBacklog)
        defer { last = sample }
        guard let last, sample.atSeconds > last.atSeconds else { return }
        let elapsed = sample.atSeconds - last.atSeconds
        let arrived = Self.growth(from: last.highWatermarks, to: sample.highWatermarks)
        incomingEventsPerSecond = Self.average(incomingEventsPerSecond, Double(arrived) / elapsed)
        if last.ownedBacklog && sample.ownedBacklog {
            let applied = Self.growth(from: last.ownedPositions, to: sample.ownedPositions)
            if applied > 0 {
                applyEventsPerSecondPerWorker = Self.average(applyEventsPerSecondPerWorker, Double(applied) / elapsed)
            }
        }
    }

    /// Summed forward movement of the offsets present in both; a move backwards (an offset
    /// reset, a recreated topic) counts as none.
    private static func growth(from old: [TopicPartition: Int64], to new: [TopicPartition: Int64]) -> Int64 {
        new.reduce(0) { sum, entry in
            guard let before = old[entry.key] else { return sum }
            return sum + max(0, entry.value - before)
        }
    }

    private static func average(_ old: Double?, _ sample: Double) -> Double {
        guard let old else { return sample }
        return old + smoothing * (sample - old)
    }
}
