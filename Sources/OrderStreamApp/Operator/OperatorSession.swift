import Foundation
import Kafka
import Logging
import OrderStreamCommon
import OrderStreamWorker
import PostgreSQL

/// The connections an operator command uses: PostgreSQL, and a Kafka client that never joins
/// the group (for watermarks and time lookups). Opened and closed on one dedicated thread.
struct OperatorSession {
    let connection: PGConnection
    let kafka: KafkaConsumer

    static func run<T: Sendable>(
        _ configuration: OrderStreamConfiguration, command: String, logger: Logger,
        _ body: @escaping @Sendable (OperatorSession) throws -> T
    ) async throws -> T {
        try await Blocking.run {
            let connection = try PGConnection.connect(
                try PGConnectionConfiguration(configuration.databaseURL).withApplicationName("orderstream:\(command)"),
                logger: logger)
            defer { connection.close() }
            let kafka = try configuration.watermarkClient(for: command, logger: logger)
            defer { kafka.close() }
            return try body(OperatorSession(connection: connection, kafka: kafka))
        }
    }

    /// Watermarks of `partitions`; a partition Kafka does not answer for is left out (the plan
    /// then refuses it).
    func watermarks(_ partitions: [TopicPartition]) -> [TopicPartition: KafkaWatermarks] {
        var marks: [TopicPartition: KafkaWatermarks] = [:]
        for partition in partitions {
            marks[partition] = try? kafka.watermarks(
                topic: partition.topic, partition: partition.partition, timeout: .seconds(5))
        }
        return marks
    }

    /// Per partition, the first offset whose message timestamp is at or after `millis`, or -1
    /// when every message is older. Kafka's time lookup first; when its "none" is contradicted by
    /// the partition's last message (a broker without the lookup, such as the embedded one), a
    /// search over the messages' timestamps (`TimestampSearch`).
    func offsets(
        atOrAfter millis: Int64, _ partitions: [TopicPartition],
        watermarks: [TopicPartition: KafkaWatermarks]
    ) throws -> [TopicPartition: Int64] {
        var resolved: [TopicPartition: Int64] = [:]
        for answer in try kafka.offsetsForTimes(partitions, timestamp: millis, timeout: .seconds(10)) {
            let partition = answer.topicPartition
            guard answer.offset < 0, let marks = watermarks[partition], marks.high > marks.low else {
                resolved[partition] = answer.offset
                continue
            }
            let last = try timestamp(of: partition, at: marks.high - 1)
            guard TimestampSearch.contradicts(kafkaAnswer: answer.offset, lastTimestamp: last, target: millis) else {
                resolved[partition] = answer.offset
                continue
            }
            resolved[partition] = try TimestampSearch.firstOffset(atOrAfter: millis, low: marks.low, high: marks.high) {
                try timestamp(of: partition, at: $0)
            }
        }
        return resolved
    }

    /// The timestamp of the first message of `partition` at or after `offset` (nil when none
    /// arrives within 5 s): the same read `orderstream status` makes for its lag in seconds.
    func timestamp(of partition: TopicPartition, at offset: Int64) throws -> Int64? {
        try OldestUnappliedMessages.timestamps(
            at: [TopicPartitionOffset(partition, offset: offset)], consumer: kafka, timeout: .seconds(5))[partition]
    }

    /// The age of the oldest unapplied event of `partition` at `position`: 0 when the position is
    /// at the log end, nil when Kafka does not answer.
    func lagSeconds(_ partition: TopicPartition, position: Int64) -> Double? {
        guard
            let marks = try? kafka.watermarks(
                topic: partition.topic, partition: partition.partition, timeout: .seconds(2))
        else { return nil }
        guard position < marks.high else { return 0 }
        guard let millis = try? timestamp(of: partition, at: max(position, marks.low)) else { return nil }
        return max(0, Date().timeIntervalSince1970 - Double(millis) / 1000)
    }
}
