import Logging

/// The worker's scans of the dead-letter topics for `GET /orders/{id}/events`, one at a time:
/// each reads `orders.dlq` and `payments.dlq` whole (dead-letter topics are small by nature), so
/// concurrent requests queue here instead of starting one reader each.
actor DeadLetterScans {
    private let configuration: OrderStreamConfiguration
    private let logger: Logger
    private var scanning = false
    /// Requests waiting for the scan in progress to end, first come first served.
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(configuration: OrderStreamConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    func letters(ofOrder id: String) async throws -> [DeadLetter] {
        // An actor is re-entered at every `await`, so the one-at-a-time rule needs its own turn.
        if scanning {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            scanning = true
        }
        defer {
            if waiting.isEmpty { scanning = false } else { waiting.removeFirst().resume() }
        }
        var filter = DeadLetterFilter()
        filter.orderId = id
        return try await DeadLetterInbox.letters(matching: filter, configuration: configuration, logger: logger)
    }
}
