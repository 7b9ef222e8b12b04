import Kafka
import Logging

extension OrderStreamConfiguration {
    /// The librdkafka properties of every client: the bootstrap servers and whatever else the
    /// configuration passes through (security, timeouts, ...), in the order they were given.
    /// `kafka.brokers` wins over a `bootstrap.servers` property, in that property's place.
    var kafkaClientProperties: KafkaConfiguration {
        kafkaProperties.setting("bootstrap.servers", kafkaBrokers)
    }

    /// For the commands' short-lived clients (publish, loadgen, status): the worker's consumer
    /// group tuning (session timeouts, ...) is left out, so producers do not warn about it.
    var kafkaConfiguration: KafkaConfiguration {
        kafkaClientProperties.forProducer
    }

    /// A consumer that never subscribes, for a command's watermark queries; its group id only
    /// names the command (`<group>-status`, `<group>-cutover`).
    func watermarkClient(for command: String, logger: Logger) throws(KafkaError) -> KafkaConsumer {
        try KafkaConsumer(configuration: kafkaConfiguration.setting("group.id", "\(group)-\(command)"), logger: logger)
    }
}
