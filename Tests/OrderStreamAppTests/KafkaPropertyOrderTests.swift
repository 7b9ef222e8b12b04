import Foundation
import Kafka
import OrderStreamWorker
import Testing

@testable import OrderStreamApp

/// librdkafka applies properties in the order they are set, and a later one may override an
/// earlier one: the order given in the file, then the environment's (by name), then the flags,
/// reaches the list librdkafka is configured from (`KafkaConfiguration.properties`) unchanged.
struct KafkaPropertyOrderTests {
    static let yaml = """
        kafka:
          brokers: file-broker:9092
          properties:
            security.protocol: SASL_SSL
            acks: "1"
            enable.idempotence: "false"
            session.timeout.ms: "7000"
        """

    static let environment = [
        "ORDERSTREAM_KAFKA_SOCKET_TIMEOUT_MS": "9000",
        "ORDERSTREAM_KAFKA_CLIENT_ID": "pod-7",
        // Also in the file: the environment's value, in the file's place.
        "ORDERSTREAM_KAFKA_ACKS": "all",
    ]

    static func load() throws -> OrderStreamConfiguration {
        try ConfigurationLoader(environment: environment).load(configPath: try ConfigurationLoaderTests.file(yaml))
    }

    @Test func theFileOrderThenTheEnvironmentByNameIsKept() throws {
        let c = try Self.load()
        #expect(
            c.kafkaProperties.properties.map(\.property) == [
                "security.protocol", "acks", "enable.idempotence", "session.timeout.ms", "client.id",
                "socket.timeout.ms",
            ])
        #expect(c.kafkaProperties["acks"] == "all")
    }

    @Test func aFileInADifferentOrderGivesThatOrder() throws {
        let path = try ConfigurationLoaderTests.file(
            "kafka:\n  properties:\n    z.last: \"1\"\n    a.first: \"2\"\n    m.middle: \"3\"\n")
        let c = try ConfigurationLoader(environment: [:]).load(configPath: path)
        #expect(c.kafkaProperties.properties.map(\.property) == ["z.last", "a.first", "m.middle"])
    }

    @Test func theBrokersFlagComesLastUnlessAPropertyNamedItsPlace() throws {
        let path = try ConfigurationLoaderTests.file(Self.yaml)
        let options = try GlobalOptions.parse(["--config", path, "--brokers", "flag-broker:9092"])
        let c = try options.configuration(environment: Self.environment)
        let client = c.kafkaClientProperties.properties
        #expect(client.map(\.property).last == "bootstrap.servers")
        #expect(client.last?.value == "flag-broker:9092")
        #expect(Array(client.map(\.property).dropLast()) == c.kafkaProperties.properties.map(\.property))

        let placed = try ConfigurationLoaderTests.file(
            "kafka:\n  properties:\n    bootstrap.servers: ignored:1\n    client.id: x\n")
        let named = try ConfigurationLoader(environment: [:]).load(configPath: placed)
        #expect(named.kafkaClientProperties.properties.map(\.property) == ["bootstrap.servers", "client.id"])
        #expect(named.kafkaClientProperties["bootstrap.servers"] == named.kafkaBrokers)
    }

    @Test func theWorkersConsumerAndProducerGetThePropertiesInThatOrder() throws {
        let c = try Self.load()
        let settings = WorkerSettings(
            kafkaProperties: c.kafkaClientProperties, databaseURL: c.databaseURL, group: c.group, color: c.color,
            instanceId: "pod-7")
        let given = c.kafkaClientProperties.properties.map(\.property)
        let consumer = settings.consumerConfiguration.properties.map(\.property)
        #expect(Array(consumer.prefix(given.count)) == given)
        let producer = settings.producerConfiguration.properties.map(\.property)
        #expect(producer == given.filter { $0 != "session.timeout.ms" })
    }

    @Test func theShortLivedClientsGetThePropertiesInThatOrder() throws {
        let c = try Self.load()
        #expect(
            c.kafkaConfiguration.properties.map(\.property)
                == c.kafkaClientProperties.properties.map(\.property).filter { $0 != "session.timeout.ms" })
    }
}
