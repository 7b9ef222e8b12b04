import Kafka
import OrderStreamDomain

/// Where a consumed message is: its partition and offset.
struct MessageCoordinates: Hashable, Sendable, CustomStringConvertible {
    let partition: TopicPartition
    let offset: Int64

    init(_ message: ConsumedMessage) {
        partition = message.partition
        offset = message.offset
    }

    var description: String { "\(partition.topic):\(partition.partition):\(offset)" }
}

/// A batch of consumed messages after validation: the distinct valid events to apply, the
/// rejections to dead-letter, and per partition the position update it implies.
///
/// Building it is pure (no I/O), so the exactly-once bookkeeping is testable on its own:
/// every message is exactly one of applied-candidate, in-batch duplicate or rejection.
struct ValidatedBatch: Sendable {
    /// One partition's part of the batch.
    struct PartitionSlice: Sendable {
        var expectedOffset: Int64
        var nextOffset: Int64
        var sent: Int64 = 0
        var duplicatesInBatch: Int64 = 0
        var rejected: Int64 = 0
    }

    /// A rejected message and why.
    struct Rejected: Sendable {
        let message: ConsumedMessage
        let rejection: Rejection
    }

    var events: [(event: Event, message: ConsumedMessage)] = []
    var rejected: [Rejected] = []
    var partitions: [TopicPartition: PartitionSlice] = [:]

    /// Validates `messages` (in partition order) against the contract. `expected` gives each
    /// partition's position as this worker last saw it in PostgreSQL. Messages in `setAside`
    /// (poisons isolated from an earlier attempt, already dead-lettered) count as rejected with
    /// the rejection given there.
    init<Messages: Collection<ConsumedMessage>>(
        messages: Messages, expected: [TopicPartition: Int64], setAside: [MessageCoordinates: Rejection] = [:]
    ) {
        var seen = Set<String>()
        seen.reserveCapacity(messages.count)
        events.reserveCapacity(messages.count)
        for message in messages {
            let key = message.partition
            var slice =
                partitions[key]
                ?? PartitionSlice(expectedOffset: expected[key] ?? 0, nextOffset: expected[key] ?? 0)
            slice.nextOffset = max(slice.nextOffset, message.offset + 1)
            let outcome =
                setAside[MessageCoordinates(message)].map(ValidationOutcome.rejected)
                ?? EventValidator.validate(topic: key.topic, key: message.key, value: message.value)
            switch outcome {
            case .valid(let event):
                if seen.insert(event.eventId).inserted {
                    events.append((event, message))
                    slice.sent += 1
                } else {
                    slice.duplicatesInBatch += 1
                }
            case .rejected(let rejection):
                rejected.append(Rejected(message: message, rejection: rejection))
                slice.rejected += 1
            }
            partitions[key] = slice
        }
    }
}
