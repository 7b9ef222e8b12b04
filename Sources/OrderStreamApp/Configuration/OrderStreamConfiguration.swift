import Kafka
import OrderStreamCommon
import OrderStreamDomain

/// Every setting of OrderStream, with its default.
///
/// Filled from `config/orderstream.yaml` (or `--config PATH`), then environment variables, then
/// flags, by `ConfigurationLoader`. Secrets (the database URL, SASL passwords) may come from a
/// file named by `<VAR>_FILE`; `redactedDescription` never prints them.
public struct OrderStreamConfiguration: Sendable, Equatable {
    /// Kafka bootstrap servers. Default `127.0.0.1:9092`.
    public var kafkaBrokers: String = "127.0.0.1:9092"
    /// Any other librdkafka property (`session.timeout.ms`, `security.protocol`, ...). Default none.
    /// Kept in the order given (the file's, then the environment's), which is the order they are
    /// set on librdkafka: a later property may override an earlier one there.
    public var kafkaProperties = KafkaConfiguration()
    /// PostgreSQL URL in libpq form. Default `postgresql://localhost/orderstream`.
    public var databaseURL: String = "postgresql://localhost/orderstream"
    /// Logical consumer name; the Kafka group id is `<group>-<color>`. Default `orderstream`.
    public var group: String = "orderstream"
    /// Deployment color of this worker. Default blue.
    public var color: DeploymentColor = .blue
    /// Identity of this worker process; also Kafka's `group.instance.id` when
    /// `staticMembership` is on. Default: `<hostname>-<pid>`.
    public var instanceId: String?
    /// Use `instanceId` as Kafka static membership (`group.instance.id`). Default false.
    public var staticMembership: Bool = false
    /// Address and port of the HTTP endpoints. Default `0.0.0.0:8080`.
    public var httpHost: String = "0.0.0.0"
    public var httpPort: Int = 8080
    /// How long a drain may take before in-flight work is rolled back. Default 15 s.
    public var drainDeadlineSeconds: Double = 15
    /// Most messages applied in one transaction. Default 5,000.
    public var batchSize: Int = 5_000
    /// PostgreSQL connections that apply batches in parallel (partitions are spread over them).
    /// Default 2.
    public var applyConnections: Int = 2
    /// `cooperative` (cooperative-sticky, the default) or `eager` (range).
    public var rebalanceProtocol: RebalanceProtocol = .cooperative
    /// Scaling signal (`orderstream_desired_workers`): most workers ever asked for, where
    /// PostgreSQL saturates. Default none (the lagging partitions bound it).
    public var scalingMaxWorkers: Int?
    /// Scaling signal: the group's apply rate (events/s) at which PostgreSQL saturates, measured
    /// with scripts/bench.sh. Default none.
    public var scalingPostgresMaxEventsPerSecond: Double?
    /// Scaling signal: the backlog should be applied within this many seconds. Default 300.
    public var scalingDrainTargetSeconds: Double = 300
    /// Log format: `text` for a terminal (default), `json` for one object per line.
    public var logFormat: LogFormat = .text
    /// Log level: trace, debug, info (default), notice, warning, error, critical.
    public var logLevel: String = "info"
    /// `ORDERSTREAM_FAULT_INJECTION=dead-letter-all` (environment only): a rehearsal of a bad
    /// release, for drills and tests of the automatic rollback; see `WorkerSettings`.
    public var deadLetterEverything = false
    /// The operator console's bearer token, from the file named by
    /// `ORDERSTREAM_CONSOLE_TOKEN_FILE` (never from the environment itself, never printed).
    public var consoleToken: String?

    public init() {}

    /// Deployment color of a worker (the domain's, which the worker receives as is).
    public typealias DeploymentColor = OrderStreamDomain.DeploymentColor

    /// Rebalance protocol of the consumer group (the domain's, which the worker receives as is).
    public typealias RebalanceProtocol = OrderStreamDomain.RebalanceProtocol

    /// Log output format.
    public enum LogFormat: String, Sendable, CaseIterable {
        case text, json
    }

    /// The settings as a person may see them: secrets masked.
    public var redactedDescription: String {
        var lines = [
            "kafka.brokers: \(kafkaBrokers)",
            "database.url: \(Secrets.redactConnectionString(databaseURL))",
            "group: \(group)",
            "color: \(color.rawValue)",
            "http: \(httpHost):\(httpPort)",
        ]
        for (key, value) in kafkaProperties.properties.sorted(by: { $0.property < $1.property }) {
            lines.append("kafka.properties.\(key): \(Secrets.masked(property: key, value: value))")
        }
        return lines.joined(separator: "\n")
    }
}
