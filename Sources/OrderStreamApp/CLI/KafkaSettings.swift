import Kafka
import Logging

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

    /// A consumer that never subscribes, for a command's watermark queries; its group id only
    /// names the command (`<group>-status`, `<group>-cutover`).
    func watermarkClient(for command: String, logger: Logger) throws(KafkaError) -> KafkaConsumer {
        try KafkaConsumer(configuration: kafkaConfiguration.setting("group.id", "\(group)-\(command)"), logger: logger)
    }
}
