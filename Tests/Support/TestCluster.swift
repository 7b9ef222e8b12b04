import Foundation
import Kafka

/// An embedded broker (librdkafka's mock cluster, real TCP) with the contract's topics, for one
/// test. Worker processes and in-process clients reach it through `bootstrap`.
public final class TestCluster: Sendable {
    public let cluster: KafkaMockCluster
    public let partitions: Int32

    public static let topics = ["orders", "payments", "orders.dlq", "payments.dlq"]

    public init(partitions: Int32 = 6) throws {
        cluster = try KafkaMockCluster(brokers: 1, logger: TestEnvironment.logger("mock-cluster"))
        self.partitions = partitions
        for topic in Self.topics {
            try cluster.createTopic(topic, partitions: partitions)
        }
    }

    public var bootstrap: String { cluster.bootstrapServers }

    /// Worker settings that make the mock broker's rebalances take ~3 s instead of ~44 s.
    public var workerEnvironment: [String: String] {
        [
            "ORDERSTREAM_KAFKA_BROKERS": bootstrap,
            "ORDERSTREAM_KAFKA_SESSION_TIMEOUT_MS": "4000",
            "ORDERSTREAM_KAFKA_HEARTBEAT_INTERVAL_MS": "300",
            "ORDERSTREAM_LOG_LEVEL": "info",
        ]
    }

    /// Every message of `topic` from the beginning until `expected` were read or `timeout`.
    public func readAll(_ topic: String, expected: Int, timeout: Duration = .seconds(60)) throws -> [KafkaMessage] {
        let consumer = try KafkaConsumer(
            configuration: [
                "bootstrap.servers": bootstrap, "group.id": "reader-\(UUID().uuidString.prefix(8))",
                "auto.offset.reset": "earliest", "session.timeout.ms": "4000", "heartbeat.interval.ms": "300",
            ],
            logger: TestEnvironment.logger("reader"))
        defer { consumer.close() }
        try consumer.subscribe(topics: [topic])
        var messages: [KafkaMessage] = []
        let deadline = ContinuousClock.now + timeout
        while messages.count < expected && ContinuousClock.now < deadline {
            messages += try consumer.poll(maxMessages: 1_000, timeout: .milliseconds(200))
        }
        // A short extra read shows there is nothing beyond what was expected.
        let settle = ContinuousClock.now + .seconds(1)
        while ContinuousClock.now < settle {
            messages += try consumer.poll(maxMessages: 1_000, timeout: .milliseconds(100))
        }
        return messages
    }

    public func close() {
        cluster.close()
    }
}
