import OrderStreamDomain
import OrderStreamLoadGen

/// What a loadgen run publishes, computed independently of the worker: the reference model's
/// KPIs and orders, and the invalid messages the dead-letter topics must hold.
public struct ExpectedStream: Sendable {
    public let orders: Int
    public let duplicates: Double
    public let invalidFraction: Double
    public let seed: UInt64
    public let start: String
    public let messages: Int64
    public let reference: ReferenceModel
    /// (topic, key, value, reason) of every invalid message, as the generator declared it.
    public let invalid: [(topic: String, key: [UInt8]?, value: [UInt8], reason: String)]

    public static let start = "2026-11-26T12:00:00Z"

    public init(
        orders: Int, duplicates: Double, invalid fraction: Double, seed: UInt64, start: String = ExpectedStream.start
    ) {
        self.orders = orders
        self.duplicates = duplicates
        self.invalidFraction = fraction
        self.seed = seed
        self.start = start
        var reference = ReferenceModel()
        var invalid: [(topic: String, key: [UInt8]?, value: [UInt8], reason: String)] = []
        var count: Int64 = 0
        let generator = LoadGenerator(
            orders: orders, duplicates: duplicates, invalid: fraction, seed: seed,
            startMicros: RFC3339.parseMicros(start)!)
        for message in generator {
            count += 1
            reference.apply(topic: message.topic.rawValue, key: message.key, value: message.value)
            if case .invalid(let reason) = message.kind {
                invalid.append((message.topic.rawValue, message.key, message.value, reason.rawValue))
            }
        }
        self.messages = count
        self.reference = reference
        self.invalid = invalid
    }

    /// The `orderstream loadgen` arguments that publish exactly this stream.
    public func loadgenArguments(rate: Int? = nil) -> [String] {
        var arguments = [
            "loadgen", "--orders", String(orders), "--duplicates", String(duplicates),
            "--invalid", String(invalidFraction), "--seed", String(seed), "--start", start,
        ]
        if let rate { arguments += ["--rate", String(rate)] }
        return arguments
    }

    /// Publishes this stream to `cluster` with `orderstream loadgen` and waits for it to end.
    public func publish(
        to cluster: TestCluster, rate: Int? = nil
    ) throws -> (status: Int32, stdout: String, stderr: String) {
        try ProcessRunner.orderstream(
            loadgenArguments(rate: rate), environment: ["ORDERSTREAM_KAFKA_BROKERS": cluster.bootstrap])
    }

    /// Starts publishing this stream to `cluster` at `rate` events/s in the background.
    public func startPublishing(to cluster: TestCluster, rate: Int) throws -> ProcessRunner {
        try ProcessRunner.start(
            "loadgen", loadgenArguments(rate: rate), environment: ["ORDERSTREAM_KAFKA_BROKERS": cluster.bootstrap])
    }

    /// The totals JSON `GET /kpis` must answer, byte for byte.
    public var totalsJSON: String { reference.kpis().json(includeTotalsOnly: true) }
}
