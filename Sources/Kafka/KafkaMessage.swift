/// A consumed record, copied out of librdkafka's buffers so it outlives the poll
/// (the C message is destroyed before `poll` returns).
public struct KafkaMessage: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [KafkaHeader]
    /// Milliseconds since the epoch (create or log-append time), if the broker sent one.
    public var timestamp: Int64?

    public init(
        topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8], headers: [KafkaHeader],
        timestamp: Int64?
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }

    /// The partition this record came from.
    public var topicPartition: TopicPartition { TopicPartition(topic: topic, partition: partition) }
}
