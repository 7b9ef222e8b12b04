import Kafka
import OrderStreamDomain
import OrderStreamLoadGen
import Testing

@testable import OrderStreamWorker

/// A batch validated in parallel slices is the batch validated one message at a time: same
/// events, rejections and partition slices, in the same order, whatever the slicing.
struct ValidatedBatchTests {
    /// Generated messages over three partitions, each partition's in offset order (the lane's
    /// order), with duplicates and contract violations among them.
    static func messages(orders: Int, seed: UInt64) -> [ConsumedMessage] {
        var offsets: [TopicPartition: Int64] = [:]
        let generated = LoadGenerator(orders: orders, duplicates: 0.1, invalid: 0.05, seed: seed, startMicros: 0)
        return generated.enumerated().map { index, message in
            let partition = TopicPartition(topic: message.topic.rawValue, partition: Int32(index % 3))
            defer { offsets[partition, default: 0] += 1 }
            return ConsumedMessage(
                partition: partition, offset: offsets[partition, default: 0], key: message.key, value: message.value,
                timestampMillis: nil)
        }
    }

    /// What `ValidatedBatch` must hold, computed the plain way: one verdict after another.
    struct Expected: Equatable {
        var events: [(String, TopicPartition, Int64)] = []
        var rejected: [(TopicPartition, Int64, RejectionReason)] = []
        var slices: [TopicPartition: [Int64]] = [:]

        init(_ messages: [ConsumedMessage], setAside: [MessageCoordinates: Rejection]) {
            var seen = Set<String>()
            for message in messages {
                var slice = slices[message.partition] ?? [0, 0, 0, 0]
                let verdict =
                    setAside[MessageCoordinates(message)].map(ValidationOutcome.rejected)
                    ?? EventValidator.validate(topic: message.partition.topic, key: message.key, value: message.value)
                switch verdict {
                case .valid(let event) where seen.insert(event.eventId).inserted:
                    events.append((event.eventId, message.partition, message.offset))
                    slice[0] += 1
                case .valid:
                    slice[1] += 1
                case .rejected(let rejection):
                    rejected.append((message.partition, message.offset, rejection.reason))
                    slice[2] += 1
                }
                slice[3] = message.offset + 1
                slices[message.partition] = slice
            }
        }

        init(_ batch: ValidatedBatch) {
            events = batch.events.map { ($0.event.eventId, $0.message.partition, $0.message.offset) }
            rejected = batch.rejected.map { ($0.message.partition, $0.message.offset, $0.rejection.reason) }
            slices = batch.partitions.mapValues { [$0.sent, $0.duplicatesInBatch, $0.rejected, $0.nextOffset] }
        }

        static func == (lhs: Expected, rhs: Expected) -> Bool {
            lhs.events.elementsEqual(rhs.events) { $0 == $1 } && lhs.rejected.elementsEqual(rhs.rejected) { $0 == $1 }
                && lhs.slices == rhs.slices
        }
    }

    @Test(arguments: [1, 2, 3])
    func aLargeBatchIsTheSequentialBatch(seed: UInt64) {
        let messages = Self.messages(orders: 800, seed: seed)
        // Enough for every slice the machine allows, and a count that does not divide evenly.
        #expect(messages.count > ValidatedBatch.validationSlice * ValidatedBatch.validationSlices)
        // Set aside a few valid messages, as poison isolation does, in different slices.
        let poison = Rejection(.applyFailed, "isolated")
        let setAside = Dictionary(
            uniqueKeysWithValues: stride(from: 7, to: messages.count, by: messages.count / 5).map {
                (MessageCoordinates(messages[$0]), poison)
            })
        let batch = ValidatedBatch(messages: messages, expected: [:], setAside: setAside)
        let expected = Expected(messages, setAside: setAside)
        #expect(Expected(batch) == expected)
        // The stream has all three outcomes, and the set-aside ones are rejected as given.
        #expect(!expected.events.isEmpty && !expected.rejected.isEmpty)
        #expect(expected.slices.values.contains { $0[1] > 0 })
        #expect(batch.rejected.filter { $0.rejection == poison }.count == setAside.count)
    }

    @Test func everyBatchSizeGivesTheSameVerdicts() {
        let messages = Self.messages(orders: 300, seed: 4)
        let sequential = messages.map {
            EventValidator.validate(topic: $0.partition.topic, key: $0.key, value: $0.value)
        }
        for count in [0, 1, 255, 511, 512, 513, 1_000, messages.count] where count <= messages.count {
            let verdicts = ValidatedBatch.verdicts(of: Array(messages.prefix(count)), setAside: [:])
            #expect(verdicts.count == count)
            // The first message whose verdict differs, if any (not the whole arrays: they are long).
            let firstDifference = zip(verdicts, sequential).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            #expect(firstDifference == nil, "\(count) messages")
        }
    }
}
