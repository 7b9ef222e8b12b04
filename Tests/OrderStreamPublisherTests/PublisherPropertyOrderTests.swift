import Kafka
import OrderStreamPublisher
import Testing

/// The publisher sets its properties on librdkafka in the order given (they used to be sorted):
/// a later property may override an earlier one there.
struct PublisherPropertyOrderTests {
    @Test func thePropertiesKeepTheirOrderAndThePublishersOwnWin() {
        let configuration = PublisherConfiguration(
            brokers: "b:1", kafkaProperties: ["linger.ms": "5", "acks": "all", "message.timeout.ms": "1"],
            deliveryTimeout: .seconds(7))
        let properties = configuration.librdkafkaProperties.properties
        #expect(
            properties.map(\.property) == [
                "linger.ms", "acks", "message.timeout.ms", "bootstrap.servers", "enable.idempotence",
            ])
        #expect(configuration.librdkafkaProperties["message.timeout.ms"] == "7000")
        #expect(configuration.librdkafkaProperties["bootstrap.servers"] == "b:1")
    }
}
