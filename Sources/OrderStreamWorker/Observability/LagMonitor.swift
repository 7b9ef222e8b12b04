import Foundation
import Kafka
import Logging
import OrderStreamCommon
import PostgreSQL
import Synchronization

/// Measures the lag of the consumer group from the truth, PostgreSQL's positions, and publishes
/// the scaling signal. Runs on the control watcher's thread (blocking calls are fine there), on
/// its connection; only that thread calls `measure`, the lock on the rate history is for the
/// compiler's sake (Sendable) and is never contended.
///
/// Each measurement reads every position row of the group (with the paused flag), asks Kafka for
/// each partition's high watermark, and takes the oldest unapplied message's timestamp from the
/// partition table's buffers (this worker's partitions only; see `PartitionLag`).
/// The table's positions are PostgreSQL's too: it moves them only after a commit or a re-read.
final class LagMonitor: Sendable {
    let settings: WorkerSettings
    let table: PartitionTable
    let connection: PGConnection
    let consumer: KafkaConsumer
    let metrics: WorkerMetrics
    let state: WorkerState
    let logger: Logger
    private let rates = Mutex(ScalingRates())
    private let started = ContinuousClock.now

    init(
        settings: WorkerSettings, table: PartitionTable, connection: PGConnection, consumer: KafkaConsumer,
        metrics: WorkerMetrics, state: WorkerState, logger: Logger
    ) {
        self.settings = settings
        self.table = table
        self.connection = connection
        self.consumer = consumer
        self.metrics = metrics
        self.state = state
        self.logger = logger
    }

    /// The position rows of the group. `paused` is read through `to_jsonb` so that a worker of
    /// this release keeps measuring against a schema before version 5 (no such column: not paused).
    static let positionsQuery = """
        SELECT topic, partition, next_offset, owner_color, COALESCE((to_jsonb(p) ->> 'paused')::boolean, false) AS paused
        FROM partition_positions p WHERE consumer_group = $1 ORDER BY topic, partition
        """

    /// Workers of a color whose heartbeat (every control poll, about 1 s) is younger than this
    /// are running (the same bound as `orderstream status`'s live workers).
    static let liveWithinSeconds = 15.0

    static let liveWorkersQuery = """
        SELECT count(*)::int8 AS n FROM workers
        WHERE consumer_group = $1 AND color = $2 AND heartbeat_at > now() - make_interval(secs => $3)
        """

    func measure() {
        // A standby applies nothing and the signal is the active color's: it measures nothing
        // (as before this monitor, a standby asks Kafka for no watermarks).
        guard state.isActive else {
            metrics.retainLag(only: [])
            metrics.scaling.publish(owned: [], nowMillis: 0)
            metrics.scaling.clearGroup()
            return
        }
        let rows: PGResult
        let liveWorkers: Int
        do {
            rows = try connection.query(Self.positionsQuery, [settings.group])
            liveWorkers = Int(
                try connection.query(
                    Self.liveWorkersQuery, [settings.group, settings.color.rawValue, Self.liveWithinSeconds]
                ).int64(0, "n"))
        } catch {
            logger.warning(
                "lag not measured: positions or live workers unreadable", metadata: [WorkerLogKey.error: "\(error)"])
            return
        }
        var lags: [PartitionLag] = []
        // This worker's partitions: held by it and owned by its color, paused ones included (the
        // worker holds a paused partition without applying it; it reports it as paused).
        let held = Set(table.heldPartitions)
        var owned = Set<TopicPartition>()
        var kafkaAnswered = false
        var kafkaFailed = false
        for row in 0..<rows.rowCount {
            guard let topic = try? rows.string(row, "topic"), let partition = try? rows.int32(row, "partition"),
                let position = try? rows.int64(row, "next_offset"), let paused = try? rows.bool(row, "paused")
            else { continue }
            var high: Int64?
            // After one watermark timeout the broker is taken as unreachable for this round: a
            // timeout per partition would hold up this thread's heartbeats for too long.
            if !kafkaFailed {
                if let marks = try? consumer.watermarks(topic: topic, partition: partition, timeout: .seconds(1)) {
                    high = marks.high
                    kafkaAnswered = true
                } else {
                    kafkaFailed = true
                }
            }
            let key = TopicPartition(topic: topic, partition: partition)
            if (try? rows.color(row, "owner_color")) == settings.color, held.contains(key) { owned.insert(key) }
            lags.append(PartitionLag(partition: key, position: position, highWatermark: high, paused: paused))
        }
        // This worker's own partitions, read after the watermarks so that a message counted in
        // a watermark has had time to arrive in the buffer: the position is the later of the row
        // read above and what this worker committed since (its lanes keep applying meanwhile),
        // and the oldest buffered message dates the lag. Without that, under steady traffic a
        // commit between the two readings would leave events counted and none buffered.
        let heads = table.unappliedHeads()
        for index in lags.indices {
            guard let head = heads[lags[index].partition] else { continue }
            lags[index].position = max(lags[index].position, head.expected)
            lags[index].oldestUnappliedTimestampMillis = head.oldestTimestampMillis
        }
        // A broker that answers is up again, even when no message flows.
        if kafkaAnswered { state.update { $0.kafkaUp = true } }
        publish(lags, owned: owned, liveWorkers: liveWorkers)
    }

    private func publish(_ lags: [PartitionLag], owned: Set<TopicPartition>, liveWorkers: Int) {
        let ownedLags = lags.filter { owned.contains($0.partition) }
        for lag in ownedLags {
            if let events = lag.events { metrics.setLag(lag.partition, lag: events) }
        }
        metrics.retainLag(only: Set(ownedLags.filter { $0.events != nil }.map(\.partition)))
        let elapsed = ContinuousClock.now - started
        let rates = rates.withLock { rates in
            rates.observe(atSeconds: elapsed.seconds, lags: lags, owned: owned)
            return rates
        }
        let nowMillis = Int64(Date().timeIntervalSince1970 * 1000)
        metrics.scaling.publish(owned: ownedLags, nowMillis: nowMillis)
        // Unknown (a watermark missing) keeps the last value: an unreachable broker is no reason
        // to scale in, nor out.
        if let desired = DesiredWorkers.compute(
            lags: lags, incomingEventsPerSecond: rates.incomingEventsPerSecond,
            applyEventsPerSecondPerWorker: rates.applyEventsPerSecondPerWorker, currentWorkers: liveWorkers,
            policy: settings.scaling)
        {
            metrics.scaling.publishGroup(group: settings.group, desiredWorkers: desired, rates: rates)
        }
    }
}
