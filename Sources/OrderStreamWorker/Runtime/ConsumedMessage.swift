import Kafka

/// A message as the runtime needs it: where it came from and its bytes. Decoupled from the
/// Kafka layer's type so that batches can be built and tested without a broker.
public struct ConsumedMessage: Sendable {
    public let partition: TopicPartition
    public let offset: Int64
    public let key: [UInt8]?
    public let value: [UInt8]
    /// Broker/producer timestamp in milliseconds since the epoch, when the broker gave one:
    /// the start of the publish-to-commit latency.
    public let timestampMillis: Int64?
    /// The record's headers as the Kafka layer already copied them (handing the array over is
    /// a reference move, no copy, so the hot path pays nothing): a dead letter carries a
    /// replayed message's provenance (`replay_of`, `replay_count`) from here.
    public let headers: [KafkaHeader]
    /// When the worker's poll handed the message over: the start of its fetch-to-commit time
    /// (`orderstream_fetch_to_commit_seconds`), the part of publish-to-commit spent inside this
    /// worker (waiting for a lane, then applied) rather than in the producer, broker and fetch.
    public let fetchedAt: ContinuousClock.Instant

    public init(
        partition: TopicPartition, offset: Int64, key: [UInt8]?, value: [UInt8], timestampMillis: Int64?,
        headers: [KafkaHeader] = [], fetchedAt: ContinuousClock.Instant = .now
    ) {
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.timestampMillis = timestampMillis
        self.headers = headers
        self.fetchedAt = fetchedAt
    }
}
