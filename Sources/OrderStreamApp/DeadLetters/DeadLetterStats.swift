import OrderStreamDomain

/// `dlq stats`: how many letters per topic and per reason, and the oldest and newest.
struct DeadLetterStats: Sendable, Equatable {
    var total = 0
    var byTopic: [String: Int] = [:]
    var byReason: [String: Int] = [:]
    var oldest: DeadLetter?
    var newest: DeadLetter?

    init(_ letters: [DeadLetter]) {
        for letter in letters {
            total += 1
            byTopic[letter.coordinates.topic, default: 0] += 1
            byReason[letter.reason, default: 0] += 1
            if let at = letter.timestampMillis {
                if oldest?.timestampMillis.map({ at < $0 }) ?? true { oldest = letter }
                if newest?.timestampMillis.map({ at >= $0 }) ?? true { newest = letter }
            }
        }
    }

    var table: String {
        var lines = ["dead letters: \(total)"]
        for topic in byTopic.keys.sorted() { lines.append("  topic \(topic): \(byTopic[topic] ?? 0)") }
        for reason in byReason.keys.sorted() { lines.append("  reason \(reason): \(byReason[reason] ?? 0)") }
        lines.append(
            "oldest: " + (oldest.map { "\($0.coordinates) at \(DeadLetterRendering.time($0.timestampMillis))" } ?? "-"))
        lines.append(
            "newest: " + (newest.map { "\($0.coordinates) at \(DeadLetterRendering.time($0.timestampMillis))" } ?? "-"))
        return lines.joined(separator: "\n")
    }

    var json: String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("total", Int64(total))
        for (name, counts) in [("by_topic", byTopic), ("by_reason", byReason)] {
            writer.key(name)
            writer.beginObject()
            for key in counts.keys.sorted() { writer.field(key, Int64(counts[key] ?? 0)) }
            writer.endObject()
        }
        for (name, letter) in [("oldest", oldest), ("newest", newest)] {
            writer.key(name)
            if let letter {
                writer.beginObject()
                writer.field("letter", letter.coordinates.description)
                writer.field("written_at", DeadLetterRendering.time(letter.timestampMillis))
                writer.endObject()
            } else {
                writer.null()
            }
        }
        writer.endObject()
        return writer.text
    }
}
