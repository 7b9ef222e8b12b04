/// How many workers the consumer group should run, from the lag and the measured rates.
///
///     lagging   = partitions not paused with lag > 0 events
///     needed    = incoming rate + backlog / drainTargetSeconds            (events/s)
///     byRate    = ceil(needed / per-worker apply rate)                    (current workers when unmeasured)
///     ceiling   = min(maxWorkers, floor(postgresMaxEventsPerSecond / per-worker apply rate))
///     desired   = 0 when lagging = 0, else max(1, min(lagging, ceiling, byRate))
///
/// A worker beyond the lagging partitions would have nothing to apply, and one beyond what
/// PostgreSQL absorbs only adds contention, hence both bounds; one worker is kept for any lag.
/// Until one worker's apply rate is measured, the count stays at the workers running now: no
/// evidence, no change (asking for every lagging partition would start workers only to stop
/// them again a few seconds later, each start and stop a rebalance).
/// Unknown (nil) while the high watermark of a partition that is not paused is unknown: a broker
/// that does not answer is no reason to scale in.
public struct ScalingPolicy: Sendable, Equatable {
    /// Most workers ever asked for (where PostgreSQL saturates, measured with scripts/bench.sh);
    /// 0: no bound but the lagging partitions.
    public var maxWorkers: Int
    /// Apply rate (events/s over the whole group) at which PostgreSQL saturates; 0: unknown.
    public var postgresMaxEventsPerSecond: Double
    /// The backlog should be gone within this many seconds, on top of keeping up.
    public var drainTargetSeconds: Double

    public init(maxWorkers: Int = 0, postgresMaxEventsPerSecond: Double = 0, drainTargetSeconds: Double = 300) {
        self.maxWorkers = max(0, maxWorkers)
        self.postgresMaxEventsPerSecond = max(0, postgresMaxEventsPerSecond)
        self.drainTargetSeconds = drainTargetSeconds > 0 ? drainTargetSeconds : 300
    }
}

public enum DesiredWorkers {
    /// The desired worker count for the group (see `ScalingPolicy` for the formula), or nil when
    /// the lag of a partition that is not paused could not be measured.
    /// - Parameters:
    ///   - incomingEventsPerSecond: growth of the high watermarks of the partitions not paused;
    ///     nil until two measurements exist.
    ///   - applyEventsPerSecondPerWorker: one worker's apply rate while it had a backlog the
    ///     whole interval (its capacity, not its demand); nil until measured.
    ///   - currentWorkers: the workers of the active color running now (live heartbeats).
    public static func compute(
        lags: [PartitionLag], incomingEventsPerSecond: Double?,
        applyEventsPerSecondPerWorker: Double?, currentWorkers: Int,
        policy: ScalingPolicy
    ) -> Int? {
        guard !lags.contains(where: { !$0.paused && $0.highWatermark == nil }) else { return nil }
        let lagging = lags.filter(\.isLagging).count
        guard lagging > 0 else { return 0 }
        var desired = lagging
        if policy.maxWorkers > 0 { desired = min(desired, policy.maxWorkers) }
        if let perWorker = applyEventsPerSecondPerWorker, perWorker > 0 {
            let backlog = Double(lags.compactMap(\.events).reduce(0, +))
            let needed = max(0, incomingEventsPerSecond ?? 0) + backlog / policy.drainTargetSeconds
            desired = min(desired, Int((needed / perWorker).rounded(.up)))
            if policy.postgresMaxEventsPerSecond > 0 {
                desired = min(desired, Int((policy.postgresMaxEventsPerSecond / perWorker).rounded(.down)))
            }
        } else {
            desired = min(desired, currentWorkers)
        }
        return max(1, desired)
    }
}
