import Kafka

/// The headers that say a message is a replay of a dead letter (`orderstream dlq replay`):
/// `replay_of` names the dead letter it came from (`orders.dlq:0:5`) and `replay_count` how many
/// replays its event has been through. The worker copies both from a message it rejects into the
/// new dead letter, so an event that keeps failing keeps its count and the replay cap
/// (`--max-replays`) stops the loop.
public enum ReplayProvenance {
    public static let replayOfHeader = "replay_of"
    public static let replayCountHeader = "replay_count"

    /// The provenance headers of `headers` (last one wins for a repeated key), in a fixed order;
    /// empty for a message that was never replayed, which is almost every message.
    public static func carried(from headers: [KafkaHeader]) -> [KafkaHeader] {
        guard !headers.isEmpty else { return [] }
        var replayOf: KafkaHeader?
        var replayCount: KafkaHeader?
        for header in headers {
            if header.key == replayOfHeader { replayOf = header }
            if header.key == replayCountHeader { replayCount = header }
        }
        return [replayOf, replayCount].compactMap { $0 }
    }

    /// The replay count the headers carry: 0 when there is none or it is not a whole number
    /// (a letter that was never replayed).
    public static func count(in headers: [KafkaHeader]) -> Int {
        guard let header = headers.last(where: { $0.key == replayCountHeader }), let value = header.value,
            let count = Int(String(decoding: value, as: UTF8.self)), count >= 0
        else { return 0 }
        return count
    }

    /// The headers of a re-published letter: where it came from and its new count.
    public static func headers(replayOf letter: String, count: Int) -> [KafkaHeader] {
        [
            KafkaHeader(key: replayOfHeader, value: Array(letter.utf8)),
            KafkaHeader(key: replayCountHeader, value: Array(String(count).utf8)),
        ]
    }
}
