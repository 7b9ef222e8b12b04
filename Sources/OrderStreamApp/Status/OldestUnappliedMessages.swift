import Foundation
import Kafka

/// Reads, for `orderstream status`, the Kafka timestamp of the message at each lagging
/// partition's position in PostgreSQL: the oldest unapplied event, whose age is the lag in
/// seconds. The same estimate as the workers' (the first unapplied message), read directly.
enum OldestUnappliedMessages {
    /// Timestamps (ms since the epoch) by partition for `positions`; a partition whose message did
    /// not arrive within `timeout` (or has no timestamp) is missing from the answer.
    static func timestamps(
        at positions: [TopicPartitionOffset], consumer: KafkaConsumer,
        timeout: Duration
    ) throws(KafkaError) -> [TopicPartition: Int64] {
        guard !positions.isEmpty else { return [:] }
        try consumer.assign(positions)
        let wanted = Dictionary(positions.map { ($0.topicPartition, $0.offset) }) { first, _ in first }
        var found: [TopicPartition: Int64] = [:]
        var seen = Set<TopicPartition>()
        let deadline = ContinuousClock.now + timeout
        while seen.count < wanted.count, ContinuousClock.now < deadline {
            for message in try consumer.poll(maxMessages: 500, timeout: .milliseconds(200)) {
                let key = message.topicPartition
                // The first message at or after the position (a transaction marker or a
                // compacted record may sit exactly at it).
                guard let position = wanted[key], message.offset >= position, !seen.contains(key) else { continue }
                seen.insert(key)
                if let timestamp = message.timestamp { found[key] = timestamp }
            }
        }
        return found
    }
}
