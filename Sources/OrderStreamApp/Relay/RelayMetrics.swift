import Prometheus
import Synchronization

/// The relay's Prometheus series (`GET /metrics` of `orderstream relay`).
final class RelayMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let pending: Gauge
    let oldestAge: Gauge
    let published: Counter
    let batches: Counter
    let deliveryFailures: Counter
    let ready: Gauge
    let databaseUp: Gauge
    let kafkaUp: Gauge
    private let parkedByReason: Mutex<[String: Counter]>

    init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), version: String, revision: String) {
        self.registry = registry
        registry.makeGauge(
            descriptor: .relay("orderstream_build_info", help: "The release this relay runs (always 1)."),
            labels: [("version", version), ("revision", revision)]
        ).set(1.0)
        pending = registry.makeGauge(
            descriptor: .relay("orderstream_relay_rows_pending", help: "Outbox rows neither published nor parked."))
        oldestAge = registry.makeGauge(
            descriptor: .relay(
                "orderstream_relay_oldest_pending_age_seconds",
                help: "Age of the oldest pending outbox row (0 when none)."))
        published = registry.makeCounter(
            descriptor: .relay(
                "orderstream_relay_published_total",
                help: "Outbox rows published (acknowledged by the broker and marked) by this relay."))
        batches = registry.makeCounter(
            descriptor: .relay(
                "orderstream_relay_batches_total", help: "Claim-publish-mark transactions committed by this relay."))
        deliveryFailures = registry.makeCounter(
            descriptor: .relay(
                "orderstream_relay_delivery_failures_total",
                help: "Rows the broker did not acknowledge in time (left pending, retried)."))
        ready = registry.makeGauge(
            descriptor: .relay("orderstream_relay_ready", help: "1 when /health/ready answers 200."))
        databaseUp = registry.makeGauge(
            descriptor: .relay("orderstream_relay_database_up", help: "1 when the last PostgreSQL call succeeded."))
        kafkaUp = registry.makeGauge(
            descriptor: .relay(
                "orderstream_relay_kafka_up",
                help: "1 when the last delivery succeeded and librdkafka reports a broker up."))
        parkedByReason = Mutex([:])
    }

    func recordParked(reason: String) {
        let counter = parkedByReason.withLock { counters in
            if let counter = counters[reason] { return counter }
            let counter = registry.makeCounter(
                descriptor: .relay(
                    "orderstream_relay_parked_total", help: "Outbox rows parked as invalid, by reason code."),
                labels: [("reason", reason)])
            counters[reason] = counter
            return counter
        }
        counter.increment()
    }
}

extension MetricNameDescriptor {
    /// A descriptor from a full metric name (unit suffix included) and its help text.
    fileprivate static func relay(_ name: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
