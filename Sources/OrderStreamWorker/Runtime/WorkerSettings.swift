import Kafka
import OrderStreamDomain

/// What a worker needs to run; the executable fills it from the configuration.
public struct WorkerSettings: Sendable {
    /// Librdkafka properties shared by the consumer and the dead-letter producer
    /// (`bootstrap.servers`, security, timeouts, ...), in the order they are set on librdkafka.
    public var kafkaProperties: KafkaConfiguration
    public var databaseURL: String
    /// The logical consumer group; the Kafka group id is `<group>-<color>`.
    public var group: String
    public var color: DeploymentColor
    public var instanceId: String
    /// Sets `group.instance.id` to `instanceId` (Kafka static membership).
    public var staticMembership: Bool = false
    /// `cooperative` (cooperative-sticky) or `eager` (range).
    public var rebalanceProtocol: RebalanceProtocol = .cooperative
    public var drainDeadline: Duration = .seconds(15)
    /// Bound on finishing a revoked partition's in-flight batch inside the rebalance callback.
    public var revokeTimeout: Duration = .seconds(10)
    public var batchSize: Int = 5_000
    public var applyConnections: Int = 2
    /// Per partition, the buffered messages above which fetching pauses. With 96 partitions
    /// of ~300-byte events that bounds the buffers near 40 MB.
    public var bufferLimit: Int = 1_000
    /// Fallback poll of the control row when LISTEN/NOTIFY is silent.
    public var controlPollInterval: Duration = .seconds(1)
    /// Bounds and targets of the desired-workers signal (`orderstream_desired_workers`).
    public var scaling = ScalingPolicy()
    public var httpPort: Int?
    /// The release this binary is, recorded in `workers` with the newest migration it knows.
    public var release: String = "dev"
    /// Rehearsal of a bad release (`ORDERSTREAM_FAULT_INJECTION=dead-letter-all`): the worker
    /// dead-letters every event it would apply (reason `apply_failed`, detail naming the fault)
    /// instead of applying it, so that a canary's automatic rollback can be tested and drilled.
    /// Never set in production; the worker logs a critical line at start when it is.
    public var deadLetterEverything = false

    public init(
        kafkaProperties: KafkaConfiguration, databaseURL: String, group: String, color: DeploymentColor,
        instanceId: String
    ) {
        self.kafkaProperties = kafkaProperties
        self.databaseURL = databaseURL
        self.group = group
        self.color = color
        self.instanceId = instanceId
    }

    /// The topics the worker consumes.
    public static let topics = Topic.allCases

    /// The Kafka consumer group id of a color: colors consume independently, so the standby
    /// color holds every partition hot.
    public var kafkaGroupId: String { "\(group)-\(color.rawValue)" }

    /// The PostgreSQL `application_name` of this worker's sessions: a cutover finds and ends
    /// the sessions of a frozen worker of the old color by it.
    public var applicationName: String { "orderstream:\(group):\(color.rawValue):\(instanceId)" }
}
