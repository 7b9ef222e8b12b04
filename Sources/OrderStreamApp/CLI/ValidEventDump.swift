import Foundation
import OrderStreamDomain
import OrderStreamLoadGen

/// The distinct valid events of a load generator as PostgreSQL COPY text rows, for the raw
/// (SQL-only) path of the benchmark (`scripts/bench.sh`): the same events the worker applies,
/// with the columns mapped exactly as the worker's `ApplyParameters` maps them.
///
/// Columns, tab-separated, `\N` for NULL: event_id, event_type, order_id, customer_id,
/// occurred_us, minute_us, payment_id, amount_cents, currency, topic.
///
/// `.duplicate` messages are byte-identical re-sends of earlier `.valid` ones and `.invalid`
/// ones are rejected, so the `.valid` messages alone are exactly the distinct applied events.
enum ValidEventDump {
    /// What a dump saw and wrote.
    struct Summary: Sendable, Equatable {
        var messages = 0
        var valid = 0
        var duplicates = 0
        var invalid = 0
    }

    /// A `.valid` message the validator rejected: the generator and the validator disagree, and
    /// a dump of it would not be what the worker applies.
    struct Mismatch: Error, CustomStringConvertible {
        let description: String
    }

    /// Feeds one COPY line (with its trailing newline) per distinct valid event to `sink`.
    static func dump(_ messages: some Sequence<GeneratedMessage>, into sink: (String) throws -> Void) throws -> Summary
    {
        var summary = Summary()
        for message in messages {
            summary.messages += 1
            switch message.kind {
            case .duplicate:
                summary.duplicates += 1
            case .invalid:
                summary.invalid += 1
            case .valid:
                let topic = message.topic.rawValue
                guard let event = EventValidator.validate(topic: topic, key: message.key, value: message.value).event
                else {
                    throw Mismatch(
                        description: "message \(summary.messages) is generated as valid but the validator rejects it")
                }
                summary.valid += 1
                try sink(line(event, topic: topic))
            }
        }
        return summary
    }

    /// Writes the dump to a file (created or truncated), in large buffered writes.
    static func dump(_ messages: some Sequence<GeneratedMessage>, toFile path: String) throws -> Summary {
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else {
            throw Mismatch(description: "cannot create \(path)")
        }
        defer { try? handle.close() }
        var buffer = Data()
        buffer.reserveCapacity(1 << 20)
        let summary = try dump(messages) { line in
            buffer.append(contentsOf: line.utf8)
            if buffer.count >= 1 << 20 {
                try handle.write(contentsOf: buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try handle.write(contentsOf: buffer)
        return summary
    }

    /// One COPY text row for `event`, mapped like `ApplyParameters`.
    static func line(_ event: Event, topic: String) -> String {
        var paymentId: String?
        var amount: Int64?
        var currency: String?
        switch event.payload {
        case .orderCreated(_, let totalCents, let code):
            amount = totalCents
            currency = code
        case .payment(let payment):
            paymentId = payment.paymentId
            amount = payment.amountCents
            currency = payment.currency
        case .orderCancelled, .orderShipped:
            break
        }
        let fields: [String?] = [
            event.eventId, event.eventType.rawValue, event.orderId, event.customerId,
            String(event.occurredAtMicros), String(minuteStart(event.occurredAtMicros)),
            paymentId, amount.map(String.init), currency, topic,
        ]
        return fields.map { $0.map(escape) ?? "\\N" }.joined(separator: "\t") + "\n"
    }

    /// The start of the UTC minute holding `micros`, floored also before 1970 (the same rule as
    /// the worker's `ApplyParameters.minuteStart`, which is internal to OrderStreamWorker).
    static func minuteStart(_ micros: Int64) -> Int64 {
        let minute: Int64 = 60_000_000
        let remainder = micros % minute
        return remainder >= 0 ? micros - remainder : micros - remainder - minute
    }

    /// COPY text escaping: backslash, tab, newline and carriage return.
    static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
