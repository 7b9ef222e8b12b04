/// A partition of a topic: the unit of assignment, pause/resume and positions.
public struct TopicPartition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)[\(partition)]" }

    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }
}

/// A partition with an offset. For commits and stored offsets the offset is the NEXT
/// record to read (last processed + 1), as Kafka defines it. Negative values are
/// librdkafka's logical offsets (see `KafkaOffset`).
public struct TopicPartitionOffset: Sendable, Hashable, CustomStringConvertible {
    public var topicPartition: TopicPartition
    public var offset: Int64

    public init(topic: String, partition: Int32, offset: Int64) {
        self.topicPartition = TopicPartition(topic: topic, partition: partition)
        self.offset = offset
    }

    public init(_ topicPartition: TopicPartition, offset: Int64) {
        self.topicPartition = topicPartition
        self.offset = offset
    }

    public var topic: String { topicPartition.topic }
    public var partition: Int32 { topicPartition.partition }
    public var description: String { "\(topicPartition)@\(offset)" }
}

/// librdkafka's logical offsets, usable wherever an offset is expected.
public enum KafkaOffset {
    public static let beginning: Int64 = -2
    public static let end: Int64 = -1
    /// Use the committed offset (or `auto.offset.reset` when there is none).
    public static let stored: Int64 = -1000
    /// No offset known (returned by `committed` for partitions never committed).
    public static let invalid: Int64 = -1001
}
