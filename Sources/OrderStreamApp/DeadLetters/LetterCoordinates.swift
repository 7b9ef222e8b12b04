import OrderStreamDomain

/// Where a dead letter is: `<dlq topic>:<partition>:<offset>`, e.g. `orders.dlq:0:5`. The
/// identity of a letter on the command line, in fix files, in `replay_of` and in `dlq_replays`.
struct LetterCoordinates: Hashable, Sendable, Comparable, CustomStringConvertible {
    let topic: String
    let partition: Int32
    let offset: Int64

    /// The dead-letter topics the contract has (`orders.dlq`, `payments.dlq`).
    static let deadLetterTopics: [String] = Topic.allCases.map(\.deadLetterTopic)

    init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }

    /// Parses `topic:partition:offset`; the topic must be one of `deadLetterTopics`, the
    /// partition and offset whole numbers >= 0.
    init(parsing text: String) throws(DeadLetterInputError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else {
            throw DeadLetterInputError(
                "\(text.debugDescription) is not a letter's coordinates (expected TOPIC:PARTITION:OFFSET, e.g. orders.dlq:0:5)"
            )
        }
        // Exactly a dead-letter topic: `orders:3:17` is where a rejected message came from,
        // never a letter, so it is not read as `orders.dlq:3:17`.
        guard Self.deadLetterTopics.contains(parts[0]) else {
            throw DeadLetterInputError(
                "\(text.debugDescription): unknown dead-letter topic \(parts[0].debugDescription) (known: \(Self.deadLetterTopics.joined(separator: ", ")))"
            )
        }
        let topic = parts[0]
        guard let partition = Int32(parts[1]), partition >= 0 else {
            throw DeadLetterInputError("\(text.debugDescription): the partition must be a whole number >= 0")
        }
        guard let offset = Int64(parts[2]), offset >= 0 else {
            throw DeadLetterInputError("\(text.debugDescription): the offset must be a whole number >= 0")
        }
        self.init(topic: topic, partition: partition, offset: offset)
    }

    /// A dead-letter topic named on the command line: `orders.dlq`, or its origin `orders`.
    static func deadLetterTopic(_ name: String) throws(DeadLetterInputError) -> String {
        if deadLetterTopics.contains(name) { return name }
        if let topic = Topic(rawValue: name) { return topic.deadLetterTopic }
        throw DeadLetterInputError(
            "unknown dead-letter topic \(name.debugDescription) (known: \(deadLetterTopics.joined(separator: ", ")))")
    }

    var description: String { "\(topic):\(partition):\(offset)" }

    static func < (lhs: LetterCoordinates, rhs: LetterCoordinates) -> Bool {
        (lhs.topic, lhs.partition, lhs.offset) < (rhs.topic, rhs.partition, rhs.offset)
    }
}
