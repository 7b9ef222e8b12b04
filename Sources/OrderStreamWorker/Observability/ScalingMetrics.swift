import Kafka
import Prometheus
import Synchronization

/// The scaling signal's metrics: lag in seconds and the paused flag per owned partition, the
/// group's desired worker count and the rates it comes from. (The lag in events per partition,
/// `orderstream_partition_lag`, is `WorkerMetrics.setLag`.)
public final class ScalingMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let lagSeconds: PartitionGauges
    private let paused: PartitionGauges
    private let groupGauges = Mutex<[String: Gauge]>([:])

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        lagSeconds = PartitionGauges(
            registry: registry, name: "orderstream_partition_lag_seconds",
            help:
                "Age of the oldest unapplied event (its Kafka timestamp) of a partition this worker owns; absent while unknown or paused."
        )
        paused = PartitionGauges(
            registry: registry, name: "orderstream_partition_paused",
            help: "1 when an operator paused the partition (partition_positions.paused): its backlog is not lag.")
    }

    /// Publishes one measurement of the partitions this worker owns (`owned`, paused or not).
    func publish(owned: [PartitionLag], nowMillis: Int64) {
        for lag in owned {
            paused.set(lag.partition, lag.paused ? 1 : 0)
            if let seconds = lag.seconds(nowMillis: nowMillis) {
                lagSeconds.set(lag.partition, seconds)
            } else {
                lagSeconds.remove(lag.partition)
            }
        }
        let keys = Set(owned.map(\.partition))
        paused.retain(only: keys)
        lagSeconds.retain(only: keys)
    }

    /// The group-wide signal, published by the workers of the active color only: the
    /// autoscaler takes the `max` of the group's series, and a standby (which applies nothing,
    /// so has no measured rate) must not add its own guess. No `color` label: Prometheus scrape
    /// configurations label targets with their color already.
    func publishGroup(group: String, desiredWorkers: Int, rates: ScalingRates) {
        let labels = [("consumer_group", group)]
        gauge(
            "orderstream_desired_workers",
            "Workers the group should run: lagging partitions, bounded by the measured rates and the PostgreSQL ceiling (docs/OPERATIONS.md).",
            labels
        ).set(to: Double(desiredWorkers))
        gauge(
            "orderstream_incoming_events_per_second",
            "Growth of the high watermarks of the group's partitions that are not paused (smoothed).",
            labels
        ).set(to: rates.incomingEventsPerSecond ?? 0)
        gauge(
            "orderstream_worker_apply_capacity_events_per_second",
            "This worker's apply rate while it had a backlog the whole interval (smoothed); 0 until measured.",
            labels
        ).set(to: rates.applyEventsPerSecondPerWorker ?? 0)
    }

    /// Removes the group-wide series (this worker became standby or was fenced out).
    func clearGroup() {
        let gone = groupGauges.withLock { gauges in
            defer { gauges = [:] }
            return Array(gauges.values)
        }
        for gauge in gone { registry.unregisterGauge(gauge) }
    }

    private func gauge(_ name: String, _ help: String, _ labels: [(String, String)]) -> Gauge {
        groupGauges.withLock { gauges in
            if let gauge = gauges[name] { return gauge }
            let gauge = registry.makeGauge(descriptor: .named(name, help: help), labels: labels)
            gauges[name] = gauge
            return gauge
        }
    }
}

/// One gauge per partition, created on first use and unregistered when the partition goes.
final class PartitionGauges: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let name: String
    private let help: String
    private let gauges = Mutex<[TopicPartition: Gauge]>([:])

    init(registry: PrometheusCollectorRegistry, name: String, help: String) {
        self.registry = registry
        self.name = name
        self.help = help
    }

    func set(_ partition: TopicPartition, _ value: Double) {
        let gauge = gauges.withLock { gauges in
            if let gauge = gauges[partition] { return gauge }
            let gauge = registry.makeGauge(
                descriptor: .named(name, help: help),
                labels: [("topic", partition.topic), ("partition", String(partition.partition))])
            gauges[partition] = gauge
            return gauge
        }
        gauge.set(to: value)
    }

    func remove(_ partition: TopicPartition) {
        if let gauge = gauges.withLock({ $0.removeValue(forKey: partition) }) {
            registry.unregisterGauge(gauge)
        }
    }

    func retain(only keep: Set<TopicPartition>) {
        let gone = gauges.withLock { gauges in
            let gone = gauges.filter { !keep.contains($0.key) }
            for key in gone.keys { gauges[key] = nil }
            return Array(gone.values)
        }
        for gauge in gone { registry.unregisterGauge(gauge) }
    }
}
