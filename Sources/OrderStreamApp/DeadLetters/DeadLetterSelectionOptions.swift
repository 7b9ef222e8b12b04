import ArgumentParser

/// The filters every dead-letter command that selects letters takes (`list`, `stats`,
/// `replay`): checked before anything is read, so bad input publishes nothing.
struct DeadLetterSelectionOptions: ParsableArguments, Sendable {
    @Option(help: "Only this dead-letter topic: orders.dlq or payments.dlq (orders and payments mean the same).")
    var topic: String?

    @Option(help: "Only letters rejected for this reason code (e.g. invalid_amount, apply_failed).")
    var reason: String?

    @Option(name: .customLong("order-id"), help: "Only letters of this order (the value's order_id, else the key).")
    var orderId: String?

    @Option(help: "Only letters written at or after this time (RFC 3339 with a zone).")
    var since: String?

    @Option(help: "Only letters written before this time (RFC 3339 with a zone).")
    var until: String?

    init() {}

    /// The filter, or a usage error naming the bad value.
    func filter() throws -> DeadLetterFilter {
        do {
            return try DeadLetterFilter.make(topic: topic, reason: reason, orderId: orderId, since: since, until: until)
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// The options as given, for the audit log (never the connection settings).
    var arguments: [String] {
        [("--topic", topic), ("--reason", reason), ("--order-id", orderId), ("--since", since), ("--until", until)]
            .compactMap { name, value in value.map { "\(name) \($0)" } }
    }
}
