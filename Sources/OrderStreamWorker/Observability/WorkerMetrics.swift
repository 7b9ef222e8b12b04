import Kafka
import OrderStreamCommon
import OrderStreamDomain
import Prometheus
import Synchronization

/// Every Prometheus metric of the worker, created once (handles are cheap to use and costly to
/// look up). Counters move only after the PostgreSQL commit they describe.
public final class WorkerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    let eventsApplied: Counter
    let batchesApplied: Counter
    let batchesFenced: Counter
    let batchRetries: Counter
    let batchDuration: DurationHistogram
    let batchSize: ValueHistogram
    let publishToCommit: DurationHistogram
    let publishToCommitMax: Gauge
    let fetchToCommit: DurationHistogram
    let rebalancesAssigned: Counter
    let rebalancesRevoked: Counter
    let rebalancesLost: Counter
    let drains: Counter
    let drainOverruns: Counter
    let cutoversObserved: Counter
    let ready: Gauge
    let databaseUp: Gauge
    let kafkaUp: Gauge
    let ownedPartitions: Gauge
    /// Lag in seconds, paused partitions and the desired worker count (LagMonitor).
    let scaling: ScalingMetrics

    private let byTopic: Mutex<[Topic: (duplicates: Counter, applied: Counter)]>
    private let rejectionsByReason: Mutex<[String: Counter]>
    private let kpiCounters: Mutex<[String: Counter]>
    private let lagGauges: Mutex<[TopicPartition: Gauge]>
    private let cutoverPauses: Mutex<[DeploymentColor: Gauge]>
    private let stalledGauges: Mutex<[TopicPartition: Gauge]>
    private let applyFailedByTopic: Mutex<[String: Counter]>
    private let publishToCommitMaxSeconds = Mutex(0.0)
    /// What this worker did since it started, recorded with its heartbeat in `workers`, so that
    /// `orderstream status` and the canary analysis can compare the colors from PostgreSQL.
    private let sinceStart = Mutex(WorkerTotals())
    /// Batch apply times of the last minute, for the p99 the heartbeat records in `workers`.
    private let recentApplyTimes = Mutex(LatencyWindow())

    /// Fine buckets (1 ms to 30 s), so that percentiles interpolated from them (scripts/bench.sh)
    /// are good to a bucket's width.
    static let publishToCommitBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(3), .milliseconds(5), .microseconds(7_500),
        .milliseconds(10), .milliseconds(15), .milliseconds(20), .milliseconds(30), .milliseconds(40),
        .milliseconds(50), .milliseconds(75), .milliseconds(100), .milliseconds(150), .milliseconds(200),
        .milliseconds(300), .milliseconds(500), .milliseconds(750), .seconds(1), .seconds(2), .seconds(5),
        .seconds(10), .seconds(30),
    ]

    /// `buildVersion` and `buildRevision` label the `orderstream_build_info` gauge (always 1), so
    /// dashboards can tell which release each worker runs, e.g. blue and green during a release.
    /// `color` labels it too, so that any of the worker's series can be split by color with
    /// `* on(instance) group_left(color) orderstream_build_info` (a canary's colors side by side).
    public init(
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        buildVersion: String = "dev", buildRevision: String = "unknown", color: DeploymentColor? = nil
    ) {
        self.registry = registry
        registry.makeGauge(
            descriptor: .named("orderstream_build_info", help: "The release and color this worker runs (always 1)."),
            labels: [("version", buildVersion), ("revision", buildRevision), ("color", color?.rawValue ?? "unknown")]
        ).set(1.0)
        eventsApplied = registry.makeCounter(
            descriptor: .named(
                "orderstream_events_applied_total", help: "Distinct events applied (committed) by this worker."))
        batchesApplied = registry.makeCounter(
            descriptor: .named("orderstream_batches_applied_total", help: "Batches committed by this worker."))
        batchesFenced = registry.makeCounter(
            descriptor: .named(
                "orderstream_batches_fenced_total", help: "Batches refused by the position or epoch fence and dropped.")
        )
        batchRetries = registry.makeCounter(
            descriptor: .named(
                "orderstream_batch_retries_total", help: "Batch attempts retried after a transient error."))
        batchDuration = registry.makeDurationHistogram(
            descriptor: .named(
                "orderstream_batch_apply_seconds", help: "Time to validate, dead-letter and commit one batch."),
            buckets: [
                .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
            ])
        batchSize = registry.makeValueHistogram(
            descriptor: .named("orderstream_batch_messages", help: "Messages per committed batch."),
            buckets: [1, 10, 100, 500, 1_000, 2_500, 5_000, 10_000])
        publishToCommit = registry.makeDurationHistogram(
            descriptor: .named(
                "orderstream_publish_to_commit_seconds",
                help: "From the message's Kafka timestamp to the commit of its effects."),
            buckets: Self.publishToCommitBuckets)
        fetchToCommit = registry.makeDurationHistogram(
            descriptor: .named(
                "orderstream_fetch_to_commit_seconds",
                help: "From the worker's poll handing the message over to the commit of its effects "
                    + "(waiting for a lane, then the apply): publish-to-commit minus the producer, broker and fetch."),
            buckets: Self.publishToCommitBuckets)
        publishToCommitMax = registry.makeGauge(
            descriptor: .named(
                "orderstream_publish_to_commit_max_seconds",
                help: "Largest publish-to-commit time since this worker started."))
        rebalancesAssigned = registry.makeCounter(
            descriptor: .named("orderstream_rebalances_total", help: "Rebalance callbacks by kind."),
            labels: [("kind", "assigned")])
        rebalancesRevoked = registry.makeCounter(
            descriptor: .named("orderstream_rebalances_total", help: "Rebalance callbacks by kind."),
            labels: [("kind", "revoked")])
        rebalancesLost = registry.makeCounter(
            descriptor: .named("orderstream_rebalances_total", help: "Rebalance callbacks by kind."),
            labels: [("kind", "lost")])
        drains = registry.makeCounter(
            descriptor: .named("orderstream_drains_total", help: "Drains started (SIGTERM/SIGINT)."))
        drainOverruns = registry.makeCounter(
            descriptor: .named(
                "orderstream_drain_overruns_total",
                help: "Drains that reached their deadline and rolled back in-flight work."))
        cutoversObserved = registry.makeCounter(
            descriptor: .named(
                "orderstream_cutovers_observed_total", help: "Epoch changes (cutovers) this worker observed."))
        ready = registry.makeGauge(descriptor: .named("orderstream_ready", help: "1 when /health/ready answers 200."))
        databaseUp = registry.makeGauge(
            descriptor: .named("orderstream_database_up", help: "1 when the last PostgreSQL call succeeded."))
        kafkaUp = registry.makeGauge(
            descriptor: .named(
                "orderstream_kafka_up",
                help: "0 after a broker-wide Kafka error until a broker answers again (a dead letter acknowledged, "
                    + "or the lag monitor's watermark query, every 5 s)."))
        ownedPartitions = registry.makeGauge(
            descriptor: .named(
                "orderstream_owned_partitions", help: "Partitions this worker holds and applies (active color)."))
        scaling = ScalingMetrics(registry: registry)
        byTopic = Mutex([:])
        rejectionsByReason = Mutex([:])
        kpiCounters = Mutex([:])
        lagGauges = Mutex([:])
        cutoverPauses = Mutex([:])
        stalledGauges = Mutex([:])
        applyFailedByTopic = Mutex([:])
    }

    /// 1 while a partition's batch keeps failing (retried with backoff), 0 once it commits.
    func recordStalled(_ partitions: [TopicPartition], stalled: Bool) {
        for partition in partitions {
            let gauge = stalledGauges.withLock { gauges in
                if let gauge = gauges[partition] { return gauge }
                let gauge = registry.makeGauge(
                    descriptor: .named(
                        "orderstream_partition_stalled",
                        help: "1 while the partition's batch keeps failing and is retried (see /health/ready)."),
                    labels: [("topic", partition.topic), ("partition", "\(partition.partition)")])
                gauges[partition] = gauge
                return gauge
            }
            gauge.set(to: stalled ? 1 : 0)
        }
    }

    /// A poison event isolated from its batch and dead-lettered as `apply_failed`.
    /// This worker's totals since it started.
    var totals: WorkerTotals { sinceStart.withLock { $0 } }

    func recordBatchRetry() {
        batchRetries.increment()
        sinceStart.withLock { $0.batchRetries += 1 }
    }

    func recordApplyFailed(topic: String) {
        sinceStart.withLock { $0.applyFailed += 1 }
        let counter = applyFailedByTopic.withLock { counters in
            if let counter = counters[topic] { return counter }
            let counter = registry.makeCounter(
                descriptor: .named(
                    "orderstream_apply_failed_total",
                    help: "Events PostgreSQL refused for good, isolated from their batch and dead-lettered."),
                labels: [("topic", topic)])
            counters[topic] = counter
            return counter
        }
        counter.increment()
    }

    /// Raises the max gauge to `seconds` if that is larger than every earlier value.
    func recordPublishToCommitMax(seconds: Double) {
        // The gauge is set under the lock: two lanes raising it at once cannot leave the smaller value.
        publishToCommitMaxSeconds.withLock { max in
            guard seconds > max else { return }
            max = seconds
            publishToCommitMax.set(to: seconds)
        }
    }

    func recordDuplicates(topic: Topic, count: Int64) {
        guard count > 0 else { return }
        topicCounters(topic).duplicates.increment(by: count)
    }

    func recordApplied(topic: Topic, count: Int64) {
        sinceStart.withLock { $0.eventsApplied += count }
        guard count > 0 else { return }
        topicCounters(topic).applied.increment(by: count)
    }

    func recordRejection(reason: String) {
        sinceStart.withLock { $0.deadLettered += 1 }
        let counter = rejectionsByReason.withLock { counters in
            if let counter = counters[reason] { return counter }
            let counter = registry.makeCounter(
                descriptor: .named(
                    "orderstream_events_rejected_total", help: "Messages dead-lettered, by reason code."),
                labels: [("reason", reason)])
            counters[reason] = counter
            return counter
        }
        counter.increment()
    }

    /// New members of a KPI (orders created, payments captured, ...), with cents by currency.
    func recordMembers(_ deltas: [BatchApplier.MemberDelta]) {
        for delta in deltas {
            guard let name = Self.kpiMetricNames[delta.kind] else { continue }
            kpiCounter(name: name, currency: nil).increment(by: delta.count)
            if delta.kind.carriesAmount {
                let name =
                    delta.kind == .paymentCaptured
                    ? "orderstream_captured_cents_total" : "orderstream_refunded_cents_total"
                kpiCounter(name: name, currency: delta.currency).increment(by: delta.amountCents)
            }
        }
    }

    /// The readiness gauges, from the state `/health/ready` reports.
    func publish(_ state: WorkerState) {
        let connectivity = state.connectivity
        ready.set(to: state.readiness().ready ? 1 : 0)
        databaseUp.set(to: connectivity.database ? 1 : 0)
        kafkaUp.set(to: connectivity.kafka ? 1 : 0)
    }

    /// The processing pause of the group's last cutover, labelled with the color it went to.
    func setCutoverPause(toColor color: DeploymentColor, seconds: Double) {
        let gauge = cutoverPauses.withLock { gauges in
            if let gauge = gauges[color] { return gauge }
            let gauge = registry.makeGauge(
                descriptor: .named(
                    "orderstream_cutover_pause_seconds",
                    help: "Processing pause of the last cutover: old color's last commit to new color's first."),
                labels: [("color", color.rawValue)])
            gauges[color] = gauge
            return gauge
        }
        gauge.set(to: seconds)
    }

    /// KPI member kinds (see MemberStorage) and their counter names (`.event` is a
    /// bucket kind, not a member kind: `orderstream_events_applied_total` counts it).
    static let kpiMetricNames: [KPIKind: String] = [
        .orderCreated: "orderstream_orders_created_total",
        .orderCancelled: "orderstream_orders_cancelled_total",
        .orderShipped: "orderstream_orders_shipped_total",
        .paymentAuthorized: "orderstream_payments_authorized_total",
        .paymentFailed: "orderstream_payments_failed_total",
        .paymentCaptured: "orderstream_payments_captured_total",
        .paymentRefunded: "orderstream_payments_refunded_total",
        .customer: "orderstream_customers_first_seen_total",
    ]

    /// Sets the lag of a partition this worker owns.
    func setLag(_ partition: TopicPartition, lag: Int64) {
        let gauge = lagGauges.withLock { gauges in
            if let gauge = gauges[partition] { return gauge }
            let gauge = registry.makeGauge(
                descriptor: .named(
                    "orderstream_partition_lag",
                    help:
                        "High watermark minus the position in PostgreSQL, for partitions this worker owns and that are not paused."
                ), labels: [("topic", partition.topic), ("partition", String(partition.partition))])
            gauges[partition] = gauge
            return gauge
        }
        gauge.set(to: Double(lag))
    }

    /// Removes the lag gauges of partitions this worker no longer owns.
    func retainLag(only owned: Set<TopicPartition>) {
        let gone = lagGauges.withLock { gauges in
            let gone = gauges.filter { !owned.contains($0.key) }
            for key in gone.keys { gauges[key] = nil }
            return Array(gone.values)
        }
        for gauge in gone { registry.unregisterGauge(gauge) }
    }

    private func topicCounters(_ topic: Topic) -> (duplicates: Counter, applied: Counter) {
        byTopic.withLock { counters in
            if let pair = counters[topic] { return pair }
            let pair = (
                registry.makeCounter(
                    descriptor: .named(
                        "orderstream_events_duplicate_total",
                        help: "Messages skipped because their event_id was already applied."),
                    labels: [("topic", topic.rawValue)]),
                registry.makeCounter(
                    descriptor: .named(
                        "orderstream_topic_events_applied_total", help: "Distinct events applied, by source topic."),
                    labels: [("topic", topic.rawValue)])
            )
            counters[topic] = pair
            return pair
        }
    }

    /// Records one batch's apply time: the histogram, and the window of the last minute.
    func recordBatchDuration(_ duration: Duration, at now: Double) {
        batchDuration.record(duration)
        recentApplyTimes.withLock { $0.record(duration.seconds, at: now) }
    }

    /// The p99 batch apply time of the last minute, nil without batches.
    func recentApplyP99(at now: Double) -> Double? {
        recentApplyTimes.withLock { $0.percentile(0.99, at: now) }
    }

    private func kpiCounter(name: String, currency: String?) -> Counter {
        let key = name + "|" + (currency ?? "")
        return kpiCounters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter =
                currency.map {
                    registry.makeCounter(
                        descriptor: .named(name, help: "KPI counter (see the event contract)."),
                        labels: [("currency", $0)])
                } ?? registry.makeCounter(descriptor: .named(name, help: "KPI counter (see the event contract)."))
            counters[key] = counter
            return counter
        }
    }
}

extension MetricNameDescriptor {
    /// A descriptor from a full metric name (unit suffix included) and its help text.
    static func named(_ name: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
