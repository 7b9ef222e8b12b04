import Kafka

extension WorkerSettings {
    /// What the worker's consumer sets on librdkafka, in this order: the configured properties
    /// as given, then the group, then the worker's defaults for what the configuration left
    /// unset, then what the settings decide (rebalance protocol, static membership).
    public var consumerConfiguration: KafkaConfiguration {
        var configuration = kafkaProperties.setting("group.id", kafkaGroupId).setting("auto.offset.reset", "earliest")
        // Defaults for low latency and bounded memory, unless the configuration says otherwise:
        // a fetch waits at most 10 ms for more data (librdkafka's 500 ms default set the median
        // publish-to-commit latency), and librdkafka prefetches at most 16 MiB (default 64 MiB).
        for (property, value) in [
            ("fetch.wait.max.ms", "10"), ("queued.max.messages.kbytes", "16384"),
            ("queued.min.messages", "20000"),
        ] where configuration[property] == nil {
            configuration[property] = value
        }
        switch rebalanceProtocol {
        case .cooperative: break  // KafkaConsumer's default: cooperative-sticky, unless the properties say otherwise
        case .eager: configuration["partition.assignment.strategy"] = "range"
        }
        if staticMembership { configuration["group.instance.id"] = instanceId }
        return configuration
    }

    /// What the dead-letter producer sets on librdkafka: the configured properties as given,
    /// without the consumer-only ones.
    public var producerConfiguration: KafkaConfiguration { kafkaProperties.forProducer }
}
