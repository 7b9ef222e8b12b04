import Kafka
import OrderStreamDomain
import Testing

@testable import OrderStreamWorker

/// A replayed message that is rejected again keeps its provenance, so the replay cap counts it.
struct DeadLetterProvenanceTests {
    @Test func aRejectedReplayCarriesItsCountIntoTheNewDeadLetter() {
        let source = ConsumedMessage(
            partition: TopicPartition(topic: "orders", partition: 1), offset: 9, key: Array("ord-1".utf8),
            value: Array(#"{"event_id":"e-1"}"#.utf8), timestampMillis: nil,
            headers: [KafkaHeader(key: "trace", value: [7])]
                + ReplayProvenance.headers(replayOf: "orders.dlq:0:5", count: 2))
        let letter = DeadLetterPublisher.message(
            for: ValidatedBatch.Rejected(message: source, rejection: Rejection(.malformed, "m")))
        let headers = Dictionary(
            uniqueKeysWithValues: letter.headers.map { ($0.key, String(decoding: $0.value ?? [], as: UTF8.self)) })
        #expect(headers["replay_of"] == "orders.dlq:0:5" && headers["replay_count"] == "2")
        #expect(headers["trace"] == nil, "only the provenance is carried, not the producer's other headers")
        #expect(headers["source_offset"] == "9" && letter.headers.count == 7)
    }

    @Test func aFirstRejectionHasNoProvenance() {
        let source = ConsumedMessage(
            partition: TopicPartition(topic: "payments", partition: 0), offset: 1, key: nil,
            value: [1], timestampMillis: nil)
        let letter = DeadLetterPublisher.message(
            for: ValidatedBatch.Rejected(message: source, rejection: Rejection(.malformed, "m")))
        #expect(!letter.headers.contains { $0.key.hasPrefix("replay_") })
    }
}
