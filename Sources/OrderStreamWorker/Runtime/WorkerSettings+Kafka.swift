import Kafka

extension WorkerSettings {
    /// What the worker's consumer sets on librdkafka, in this order: the configured properties
    /// as given, then the group, then the worker's defaults for what the configuration left
    /// unset, then what the settings decide (rebalance protocol, static membership).
    public var consumerConfiguration: KafkaConfiguration {
        var configuration = kafkaProperties.setting("group.id", kafkaGroupId).setting("auto.offset.reset", "earliest")
        // Defaults for low latency and bounded memory, unless the configuration says otherwise:
        // - a fetch waits at most 10 ms for more data (librdkafka's 500 ms default set the median
        //   publish-to-commit latency);
        // - librdkafka prefetches at most 8 MiB (default 64 MiB), and no count limit binds first
        //   (1,000,000 messages). Why: before 2.1 (`fetch.queue.backoff.ms`), librdkafka stops
        //   fetching a partition for a whole second once the consumer's queue is over either
        //   limit (confluentinc/librdkafka#2879, #4275). With 20,000 messages as the limit, a
        //   backlog stalled the fetch in spells of 2-4 s and one worker applied 45,000-53,000
        //   events/s; without it, 66,000-72,000 (docs/BENCHMARKS.md, "The fetch's one-second
        //   backoff"). Memory stays bounded by the bytes and by the worker's own flow control
        //   (a partition with `bufferLimit` messages buffered is paused).
        for (property, value) in [
            ("fetch.wait.max.ms", "10"), ("queued.max.messages.kbytes", "8192"),
            ("queued.min.messages", "1000000"),
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
