import Kafka
import Logging

/// Reads the dead-letter topics straight from the broker: every partition assigned from its low
/// watermark up to the high watermark seen when the read began, outside any consumer group
/// (nothing is committed, no worker's group is touched). Blocking: run it off the cooperative
/// pool (`Blocking.run`), on one thread, as the consumer's poll needs.
struct DeadLetterReader {
    let consumer: KafkaConsumer
    /// How long one read may take before it gives up (the broker answers or it is down).
    var timeout: Duration = .seconds(30)

    struct ReadError: Error, CustomStringConvertible {
        let description: String
    }

    /// Every letter of `topics`, in topic, partition and offset order.
    func readAll(topics: [String]) throws -> [DeadLetter] {
        var ends: [TopicPartition: Int64] = [:]
        var starts: [TopicPartitionOffset] = []
        for topic in topics {
            guard let count = try consumer.partitionCount(topic: topic, timeout: .seconds(10)) else {
                throw ReadError(description: "the broker has no topic \(topic)")
            }
            for partition in 0..<count {
                let marks = try consumer.watermarks(topic: topic, partition: partition, timeout: .seconds(10))
                guard marks.high > marks.low else { continue }
                let place = TopicPartition(topic: topic, partition: partition)
                ends[place] = marks.high
                starts.append(TopicPartitionOffset(place, offset: marks.low))
            }
        }
        return try read(from: starts, until: ends).sorted { $0.coordinates < $1.coordinates }
    }

    /// The letter at `coordinates`, or nil when the partition holds no message there.
    func readOne(_ coordinates: LetterCoordinates) throws -> DeadLetter? {
        guard let count = try consumer.partitionCount(topic: coordinates.topic, timeout: .seconds(10)) else {
            throw ReadError(description: "the broker has no topic \(coordinates.topic)")
        }
        guard coordinates.partition < count else { return nil }
        let marks = try consumer.watermarks(
            topic: coordinates.topic, partition: coordinates.partition, timeout: .seconds(10))
        guard coordinates.offset >= marks.low, coordinates.offset < marks.high else { return nil }
        let place = TopicPartition(topic: coordinates.topic, partition: coordinates.partition)
        let letters = try read(
            from: [TopicPartitionOffset(place, offset: coordinates.offset)],
            until: [place: coordinates.offset + 1])
        return letters.first { $0.coordinates == coordinates }
    }

    /// Polls the assigned partitions until each delivered its message just before its end.
    private func read(from starts: [TopicPartitionOffset], until ends: [TopicPartition: Int64]) throws -> [DeadLetter] {
        guard !starts.isEmpty else { return [] }
        try consumer.assign(starts)
        var pending = ends
        var letters: [DeadLetter] = []
        let deadline = ContinuousClock.now + timeout
        while !pending.isEmpty {
            guard ContinuousClock.now < deadline else {
                throw ReadError(
                    description: "reading the dead letters took longer than \(timeout); still waiting for "
                        + pending.keys.sorted().map(\.description).joined(separator: ", "))
            }
            for message in try consumer.poll(maxMessages: 1_000, timeout: .milliseconds(200)) {
                let place = message.topicPartition
                guard let end = pending[place], message.offset < end else { continue }
                letters.append(DeadLetter(message))
                if message.offset >= end - 1 { pending[place] = nil }
            }
        }
        return letters
    }
}
