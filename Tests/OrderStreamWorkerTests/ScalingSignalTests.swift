import Kafka
import Testing

@testable import OrderStreamWorker

/// Lag arithmetic, the lag-seconds estimate, the rates and the desired-workers formula, as
/// plain values (no Kafka, no PostgreSQL, no clock).
struct ScalingSignalTests {
    static func tp(_ partition: Int32, _ topic: String = "orders") -> TopicPartition {
        TopicPartition(topic: topic, partition: partition)
    }

    static func lag(
        _ partition: Int32, position: Int64, high: Int64?, paused: Bool = false,
        oldest: Int64? = nil
    ) -> PartitionLag {
        PartitionLag(
            partition: tp(partition), position: position, highWatermark: high, paused: paused,
            oldestUnappliedTimestampMillis: oldest)
    }

    // MARK: lag

    @Test func lagInEventsIsHighWatermarkMinusPosition() {
        #expect(Self.lag(0, position: 40, high: 100).events == 60)
        #expect(Self.lag(0, position: 100, high: 100).events == 0)
        // A position past the watermark (recreated topic) waits for nothing.
        #expect(Self.lag(0, position: 120, high: 100).events == 0)
        #expect(Self.lag(0, position: 40, high: nil).events == nil)
        #expect(Self.lag(0, position: 40, high: 100).state == .lagging)
        #expect(Self.lag(0, position: 100, high: 100).state == .caughtUp)
        #expect(Self.lag(0, position: 40, high: nil).state == .unknown)
    }

    @Test func aPausedPartitionIsPausedNotLag() {
        let paused = Self.lag(0, position: 40, high: 100, paused: true, oldest: 1_000)
        #expect(paused.state == .paused)
        #expect(paused.events == nil)
        #expect(!paused.isLagging)
        #expect(paused.seconds(nowMillis: 61_000) == nil)
    }

    @Test func lagInSecondsIsTheAgeOfTheOldestUnappliedMessage() {
        let lagging = Self.lag(0, position: 40, high: 100, oldest: 1_000)
        #expect(lagging.seconds(nowMillis: 61_500) == 60.5)
        // Caught up: nothing waits, whatever timestamp is known.
        #expect(Self.lag(0, position: 100, high: 100).seconds(nowMillis: 61_500) == 0)
        // Waiting but the message was not seen: unknown, not zero.
        #expect(Self.lag(0, position: 40, high: 100).seconds(nowMillis: 61_500) == nil)
        // A producer clock ahead of ours never gives a negative age.
        #expect(Self.lag(0, position: 40, high: 100, oldest: 70_000).seconds(nowMillis: 61_500) == 0)
    }

    // MARK: desired workers

    @Test func noLaggingPartitionWantsNoWorker() {
        // A paused partition's backlog asks for nothing, nor does its unknown watermark.
        let lags = [
            Self.lag(0, position: 10, high: 10), Self.lag(1, position: 5, high: 5),
            Self.lag(2, position: 0, high: 900, paused: true), Self.lag(3, position: 0, high: nil, paused: true),
        ]
        #expect(
            DesiredWorkers.compute(
                lags: lags, incomingEventsPerSecond: 50, applyEventsPerSecondPerWorker: 100, currentWorkers: 2,
                policy: ScalingPolicy()) == 0)
        #expect(
            DesiredWorkers.compute(
                lags: [], incomingEventsPerSecond: nil, applyEventsPerSecondPerWorker: nil,
                currentWorkers: 2, policy: ScalingPolicy()) == 0)
    }

    @Test func anUnmeasuredPartitionLeavesTheCountUnknownNotZero() {
        let lags = [Self.lag(0, position: 10, high: 10), Self.lag(1, position: 0, high: nil)]
        #expect(
            DesiredWorkers.compute(
                lags: lags, incomingEventsPerSecond: nil, applyEventsPerSecondPerWorker: nil,
                currentWorkers: 2, policy: ScalingPolicy()) == nil)
    }

    @Test func oneLaggingPartitionWantsOneWorkerWhateverTheRates() {
        let lags = [Self.lag(0, position: 0, high: 1_000_000), Self.lag(1, position: 5, high: 5)]
        for perWorker in [nil, 1.0, 10_000.0] {
            #expect(
                DesiredWorkers.compute(
                    lags: lags, incomingEventsPerSecond: 5_000, applyEventsPerSecondPerWorker: perWorker,
                    currentWorkers: 4, policy: ScalingPolicy()) == 1)
        }
    }

    @Test func manyLaggingPartitionsAreBoundedByRateCeilingAndPartitions() {
        // 12 lagging partitions of 1,000 events each; 2 paused ones with a huge backlog.
        let lags =
            (0..<12).map { Self.lag($0, position: 0, high: 1_000) }
            + [
                Self.lag(12, position: 0, high: 1_000_000, paused: true),
                Self.lag(13, position: 0, high: 1_000_000, paused: true),
            ]
        let policy = ScalingPolicy(drainTargetSeconds: 60)
        // Unmeasured capacity: the workers running now, within the lagging partitions and the ceiling.
        #expect(
            DesiredWorkers.compute(
                lags: lags, incomingEventsPerSecond: nil, applyEventsPerSecondPerWorker: nil,
                currentWorkers: 3, policy: policy) == 3)
        #expect(
            DesiredWorkers.compute(
                lags: lags, incomingEventsPerSecond: nil, applyEventsPerSecondPerWorker: nil,
                currentWorkers: 20, policy: policy) == 12)
        #expect(
            DesiredWorkers.compute(
                lags: lags, incomingEventsPerSecond: nil, applyEventsPerSecondPerWorker: nil,
                currentWorkers: 20, policy: ScalingPolicy(maxWorkers: 5)) == 5)
        #expect(
            DesiredWorkers.compute(
                lags: lags, incomingEventsPerSecond: nil, applyEventsPerSecondPerWorker: nil,
                currentWorkers: 0, policy: policy) == 1)
        // needed = 400 + 12,000 / 60 = 600 events/s; 250 per worker: ceil(2.4) = 3.
        #expect(
            DesiredWorkers.compute(
                lags: lags, incomingEventsPerSecond: 400, applyEventsPerSecondPerWorker: 250, currentWorkers: 2,
                policy: policy) == 3)
        // A slow worker: the partitions bound it.
        #expect(
            DesiredWorkers.compute(
                lags: lags, incomingEventsPerSecond: 400, applyEventsPerSecondPerWorker: 10, currentWorkers: 2,
                policy: policy) == 12)
        // The configured ceilings: workers, and where PostgreSQL saturates (1,000 / 100 = 10).
        #expect(
            DesiredWorkers.compute(
                lags: lags, incomingEventsPerSecond: 400, applyEventsPerSecondPerWorker: 10, currentWorkers: 2,
                policy: ScalingPolicy(maxWorkers: 4, drainTargetSeconds: 60)) == 4)
        #expect(
            DesiredWorkers.compute(
                lags: lags, incomingEventsPerSecond: 4_000, applyEventsPerSecondPerWorker: 100, currentWorkers: 2,
                policy: ScalingPolicy(postgresMaxEventsPerSecond: 1_000, drainTargetSeconds: 60)) == 10)
        // A ceiling below one worker's rate still keeps one worker for the lag.
        #expect(
            DesiredWorkers.compute(
                lags: lags, incomingEventsPerSecond: 4_000, applyEventsPerSecondPerWorker: 100, currentWorkers: 2,
                policy: ScalingPolicy(postgresMaxEventsPerSecond: 50)) == 1)
    }

    // MARK: rates

    @Test func incomingRateIsWatermarkGrowthOfPartitionsNotPaused() {
        var rates = ScalingRates()
        rates.observe(
            atSeconds: 100,
            lags: [Self.lag(0, position: 0, high: 100), Self.lag(1, position: 0, high: 0, paused: true)], owned: [])
        #expect(rates.incomingEventsPerSecond == nil)
        rates.observe(
            atSeconds: 105,
            lags: [Self.lag(0, position: 0, high: 600), Self.lag(1, position: 0, high: 9_000, paused: true)], owned: [])
        #expect(rates.incomingEventsPerSecond == 100)
        // Smoothed: 100 + 0.3 * (0 - 100).
        rates.observe(atSeconds: 110, lags: [Self.lag(0, position: 0, high: 600)], owned: [])
        #expect(rates.incomingEventsPerSecond == 70)
    }

    @Test func applyCapacityIsMeasuredOnlyWhileBusy() {
        var rates = ScalingRates()
        let owned: Set = [Self.tp(0), Self.tp(1)]
        // Busy at both ends: (200 + 300) events in 5 s.
        rates.observe(
            atSeconds: 0,
            lags: [
                Self.lag(0, position: 0, high: 5_000), Self.lag(1, position: 0, high: 5_000),
                Self.lag(2, position: 0, high: 5_000),
            ], owned: owned)
        rates.observe(
            atSeconds: 5,
            lags: [
                Self.lag(0, position: 200, high: 5_000), Self.lag(1, position: 300, high: 5_000),
                Self.lag(2, position: 4_000, high: 5_000),
            ], owned: owned)
        #expect(rates.applyEventsPerSecondPerWorker == 100)
        // An offset reset backwards while busy is no negative (nor zero) rate.
        rates.observe(
            atSeconds: 10, lags: [Self.lag(0, position: 0, high: 6_000), Self.lag(1, position: 0, high: 6_000)],
            owned: owned)
        #expect(rates.applyEventsPerSecondPerWorker == 100)
        // Caught up at the end: the interval measured demand, not capacity, and is ignored.
        rates.observe(
            atSeconds: 15,
            lags: [Self.lag(0, position: 6_000, high: 6_000), Self.lag(1, position: 6_000, high: 6_000)], owned: owned)
        #expect(rates.applyEventsPerSecondPerWorker == 100)
        // Busy again: 1,000 events/s smoothed in, 100 + 0.3 * (1,000 - 100).
        rates.observe(
            atSeconds: 20,
            lags: [Self.lag(0, position: 6_000, high: 9_000), Self.lag(1, position: 6_000, high: 9_000)], owned: owned)
        rates.observe(
            atSeconds: 21,
            lags: [Self.lag(0, position: 6_500, high: 9_000), Self.lag(1, position: 6_500, high: 9_000)], owned: owned)
        #expect(abs((rates.applyEventsPerSecondPerWorker ?? 0) - 370) < 1e-9)
    }
}
