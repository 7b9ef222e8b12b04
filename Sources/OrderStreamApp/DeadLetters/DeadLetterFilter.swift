import OrderStreamDomain

/// Which dead letters a command is about: `--topic`, `--reason`, `--order-id`, `--since`,
/// `--until`. Built and checked before anything is read, so bad input publishes nothing.
struct DeadLetterFilter: Sendable, Equatable {
    /// The dead-letter topics to read (all of them unless `--topic` names one).
    var topics: [String] = LetterCoordinates.deadLetterTopics
    var reason: String?
    var orderId: String?
    /// Letters written at or after `since` and before `until` (ms since the epoch).
    var sinceMillis: Int64?
    var untilMillis: Int64?

    /// Whether any option narrowed it (a replay needs a selection, never "everything" by accident).
    var narrows: Bool {
        topics != LetterCoordinates.deadLetterTopics || reason != nil || orderId != nil || sinceMillis != nil
            || untilMillis != nil
    }

    static func make(
        topic: String?, reason: String?, orderId: String?, since: String?, until: String?
    )
        throws(DeadLetterInputError) -> DeadLetterFilter
    {
        var filter = DeadLetterFilter()
        if let topic { filter.topics = [try LetterCoordinates.deadLetterTopic(topic)] }
        if let reason {
            let known = RejectionReason.allCases.map(\.rawValue)
            guard known.contains(reason) else {
                throw DeadLetterInputError(
                    "unknown reason \(reason.debugDescription) (known: \(known.joined(separator: ", ")))")
            }
            filter.reason = reason
        }
        if let orderId {
            guard !orderId.isEmpty else { throw DeadLetterInputError("--order-id must not be empty") }
            filter.orderId = orderId
        }
        if let since { filter.sinceMillis = try millis(since, "--since") }
        if let until { filter.untilMillis = try millis(until, "--until") }
        if let since = filter.sinceMillis, let until = filter.untilMillis, since >= until {
            throw DeadLetterInputError("--since must be before --until")
        }
        return filter
    }

    private static func millis(_ text: String, _ option: String) throws(DeadLetterInputError) -> Int64 {
        guard let micros = RFC3339.parseMicros(text) else {
            throw DeadLetterInputError(
                "\(option) \(text.debugDescription) is not an RFC 3339 time with a zone (e.g. 2026-12-02T10:00:00Z)")
        }
        return micros / 1_000
    }

    func matches(_ letter: DeadLetter) -> Bool {
        guard topics.contains(letter.coordinates.topic) else { return false }
        if let reason, letter.reason != reason { return false }
        if let orderId, letter.orderId != orderId { return false }
        if sinceMillis != nil || untilMillis != nil {
            guard let at = letter.timestampMillis else { return false }
            if let sinceMillis, at < sinceMillis { return false }
            if let untilMillis, at >= untilMillis { return false }
        }
        return true
    }
}
