import Kafka

extension OrderStreamConfiguration {
    /// The librdkafka properties of every client: the bootstrap servers and whatever else the
    /// configuration passes through (security, timeouts, ...).
    var kafkaClientProperties: [String: String] {
        var properties = kafkaProperties
        properties["bootstrap.servers"] = kafkaBrokers
        return properties
    }

    /// For the commands' short-lived clients (publish, loadgen, status): the worker's consumer
    /// group tuning (session timeouts, ...) is left out, so producers do not warn about it.
    var kafkaConfiguration: KafkaConfiguration {
        var configuration = KafkaConfiguration()
        for (property, value) in kafkaClientProperties.sorted(by: { $0.key < $1.key }) {
            configuration = configuration.setting(property, value)
        }
        return configuration.forProducer
    }
}
