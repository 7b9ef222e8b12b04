import Kafka
import OrderStreamDomain

/// Sends rejected messages to `<topic>.dlq` with their original key and bytes and the headers
/// the contract names (and, for a replayed message that failed again, its replay provenance,
/// so that the replay cap sees every earlier replay), and waits until the broker acknowledged every one of them: a batch's
/// position never moves past a message whose dead letter is not safely written.
struct DeadLetterPublisher: Sendable {
    let producer: KafkaProducer

    /// The dead-letter message of a rejection (pure, so the headers are testable).
    static func message(for rejected: ValidatedBatch.Rejected) -> KafkaOutgoingMessage {
        let source = rejected.message
        let deadLetterTopic =
            Topic(rawValue: source.partition.topic)?.deadLetterTopic ?? source.partition.topic + ".dlq"
        return KafkaOutgoingMessage(
            topic: deadLetterTopic,
            key: source.key,
            value: source.value,
            headers: [
                KafkaHeader(key: "reason", value: Array(rejected.rejection.reason.rawValue.utf8)),
                KafkaHeader(key: "detail", value: Array(rejected.rejection.detail.utf8)),
                KafkaHeader(key: "source_topic", value: Array(source.partition.topic.utf8)),
                KafkaHeader(key: "source_partition", value: Array(String(source.partition.partition).utf8)),
                KafkaHeader(key: "source_offset", value: Array(String(source.offset).utf8)),
            ] + ReplayProvenance.carried(from: source.headers))
    }

    /// The `event_id` of a rejected value when it has a readable one (at most 64 characters),
    /// for log lines; nil for a value that is not a JSON object with a string `event_id`.
    static func eventId(of value: [UInt8]) -> String? {
        guard value.count <= EventValidator.maximumValueBytes,
            let id = (try? JSONParser.parse(value))?.objectValue?["event_id"]?.stringValue
        else { return nil }
        return String(id.prefix(64))
    }

    /// Publishes all of `rejected` and blocks (on the calling lane thread, never the cooperative
    /// pool) until each is acknowledged. Throws the first delivery error; the caller retries the
    /// whole set (a dead letter may then be written twice, never zero times).
    func publishAll(_ rejected: [ValidatedBatch.Rejected]) throws(KafkaError) {
        guard !rejected.isEmpty else { return }
        _ = try send(rejected).wait(timeout: nil)
    }

    /// Enqueues all of `rejected` and returns at once: the delivery reports arrive on the
    /// producer's poll thread, and the returned delivery waits for them. A message librdkafka
    /// refused to enqueue counts as a failed delivery.
    func send(_ rejected: [ValidatedBatch.Rejected]) -> DeadLetterDelivery {
        let delivery = DeadLetterDelivery()
        for item in rejected {
            delivery.sending()
            do {
                try producer.send(Self.message(for: item)) { result in
                    if case .failure(let error) = result {
                        delivery.delivered(error)
                    } else {
                        delivery.delivered(nil)
                    }
                }
            } catch {
                delivery.delivered(error)
            }
        }
        return delivery
    }
}
