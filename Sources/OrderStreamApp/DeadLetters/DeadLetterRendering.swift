import OrderStreamDomain

/// How the dead-letter commands print letters: tables for people, JSON for scripts.
enum DeadLetterRendering {
    static func time(_ millis: Int64?) -> String {
        millis.map { RFC3339.formatMillis($0 * 1_000) } ?? "-"
    }

    /// `dlq list`: one row per letter.
    static func table(_ letters: [DeadLetter]) -> String {
        var lines = ["LETTER\tWRITTEN\tREASON\tORDER\tEVENT\tSOURCE\tREPLAYS\tDETAIL"]
        for letter in letters {
            lines.append(
                [
                    letter.coordinates.description, time(letter.timestampMillis), letter.reason,
                    SafeText.escaped(Array((letter.orderId ?? "-").utf8)),
                    SafeText.escaped(Array((letter.eventId ?? "-").utf8)),
                    letter.source, String(letter.replayCount), SafeText.escaped(Array(letter.detail.prefix(120).utf8)),
                ].joined(separator: "\t"))
        }
        lines.append("\(letters.count) dead letter\(letters.count == 1 ? "" : "s")")
        return lines.joined(separator: "\n")
    }

    /// One letter as a JSON object (`dlq list --json`, `order --json`). The value is `value`, the
    /// letter's bytes as a JSON string when they are UTF-8 (so a script can parse and fix it), else
    /// null with `value_escaped` (see `SafeText`).
    static func write(_ letter: DeadLetter, to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("letter", letter.coordinates.description)
        writer.field("topic", letter.coordinates.topic)
        writer.field("partition", Int64(letter.coordinates.partition))
        writer.field("offset", letter.coordinates.offset)
        writer.key("written_at")
        if let millis = letter.timestampMillis { writer.string(time(millis)) } else { writer.null() }
        writer.field("reason", letter.reason)
        writer.field("detail", letter.detail)
        writer.field("source", letter.source)
        writer.key("order_id")
        if let id = letter.orderId { writer.string(id) } else { writer.null() }
        writer.key("event_id")
        if let id = letter.eventId { writer.string(id) } else { writer.null() }
        writer.field("replay_count", Int64(letter.replayCount))
        writer.key("replay_of")
        if let of = letter.replayOf { writer.string(of) } else { writer.null() }
        writer.key("value")
        if let text = String(validating: letter.value, as: UTF8.self) {
            writer.string(text)
        } else {
            writer.null()
            writer.field("value_escaped", SafeText.escaped(letter.value))
        }
        writer.endObject()
    }

    static func json(_ letters: [DeadLetter]) -> String {
        var writer = JSONWriter()
        writer.beginArray()
        for letter in letters { write(letter, to: &writer) }
        writer.endArray()
        return writer.text
    }

    /// `dlq show`: everything about one letter, the value pretty-printed when it is JSON.
    static func detail(_ letter: DeadLetter) -> String {
        var lines = [
            "letter:   \(letter.coordinates)",
            "written:  \(time(letter.timestampMillis))",
            "rejected: \(letter.reason): \(SafeText.escaped(Array(letter.detail.utf8)))",
            "source:   \(letter.source)",
            "key:      \(letter.key.map(SafeText.escaped) ?? "(none)")",
            "replays:  \(letter.replayCount)\(letter.replayOf.map { " (replay of \(SafeText.escaped(Array($0.utf8))))" } ?? "")",
            "headers:",
        ]
        for header in letter.headers {
            lines.append(
                "  \(SafeText.escaped(Array(header.key.utf8))): \(header.value.map(SafeText.escaped) ?? "(null)")")
        }
        if letter.value.count <= EventValidator.maximumValueBytes, let parsed = try? JSONParser.parse(letter.value) {
            lines.append("value (JSON, keys sorted):")
            lines.append(SafeText.prettyJSON(parsed))
        } else {
            lines.append("value (\(letter.value.count) bytes, not JSON, escaped):")
            lines.append(SafeText.escaped(letter.value))
        }
        return lines.joined(separator: "\n")
    }
}
