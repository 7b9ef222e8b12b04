import Kafka

extension OrderStreamConfiguration {
    /// The librdkafka properties of every client: the bootstrap servers and whatever else the
    /// configuration passes through (security, timeouts, ...).
    var kafkaClientProperties: [String: String] {
        var properties = kafkaProperties
        properties["bootstrap.servers"] = kafkaBrokers
        return properties
    }

    var kafkaConfiguration: KafkaConfiguration {
        var configuration = KafkaConfiguration()
        for (property, value) in kafkaClientProperties.sorted(by: { $0.key < $1.key }) {
            configuration = configuration.setting(property, value)
        }
        return configuration
    }
}
