import CRdKafka

/// Conversions between Swift partition values and `rd_kafka_topic_partition_list_t`,
/// with the list's lifetime scoped to a closure so no path can leak it.
enum RDKafkaTopicPartitionList {
    typealias ListPointer = UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    static func with<T, E: Error>(
        _ partitions: [TopicPartition], offset: Int64 = KafkaOffset.invalid, _ body: (ListPointer) throws(E) -> T
    ) throws(E) -> T {
        let list = rd_kafka_topic_partition_list_new(Int32(clamping: partitions.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for tp in partitions {
            rd_kafka_topic_partition_list_add(list, tp.topic, tp.partition).pointee.offset = offset
        }
        return try body(list)
    }

    static func with<T, E: Error>(
        _ offsets: [TopicPartitionOffset], _ body: (ListPointer) throws(E) -> T
    ) throws(E) -> T {
        let list = rd_kafka_topic_partition_list_new(Int32(clamping: offsets.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for tpo in offsets {
            rd_kafka_topic_partition_list_add(list, tpo.topic, tpo.partition).pointee.offset = tpo.offset
        }
        return try body(list)
    }

    static func elements(_ list: ListPointer) -> UnsafeMutableBufferPointer<rd_kafka_topic_partition_t> {
        UnsafeMutableBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt))
    }

    static func partitions(_ list: ListPointer) -> [TopicPartition] {
        elements(list).map { TopicPartition(topic: String(cString: $0.topic), partition: $0.partition) }
    }

    static func offsets(_ list: ListPointer) -> [TopicPartitionOffset] {
        elements(list).map {
            TopicPartitionOffset(topic: String(cString: $0.topic), partition: $0.partition, offset: $0.offset)
        }
    }

    /// The first per-partition error librdkafka left in the list, as a `KafkaError`.
    static func firstError(_ list: ListPointer, operation: String) -> KafkaError? {
        for element in elements(list) where element.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            let place = "\(operation) \(String(cString: element.topic))[\(element.partition)]"
            return KafkaError.from(element.err, operation: place)
        }
        return nil
    }
}
