import ArgumentParser
import OrderStreamCommon
import OrderStreamWorker
import PostgreSQL

/// `orderstream order <id>`: an order's timeline, its applied events from PostgreSQL and its
/// dead letters, found by scanning orders.dlq and payments.dlq for letters of that order (the
/// value's order_id, else the key). The scan reads both topics whole, which is why the HTTP
/// route `GET /orders/{id}/events` leaves it out.
struct OrderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "order",
        abstract: "Shows an order's applied events (oldest first) and its dead letters.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The order id, exactly as in the events (quote it when it has spaces).")
    var id: String

    @Flag(help: "Print JSON (as GET /orders/{id}/events, with the dead letters).")
    var json = false

    func validate() throws {
        if id.isEmpty { throw ValidationError("the order id must not be empty") }
    }

    func run() async throws {
        let configuration = try options.configuration()
        let logger = ProcessLogging.logger(configuration, label: "orderstream.order")
        let id = self.id
        let events = try await Blocking.run {
            let connection = try PGConnection.connect(
                try PGConnectionConfiguration(configuration.databaseURL).withApplicationName("orderstream:order"),
                logger: logger)
            defer { connection.close() }
            return try OrderTimeline.events(orderId: id, on: connection)
        }
        var filter = DeadLetterFilter()
        filter.orderId = id
        let letters = try await DeadLetterInbox.letters(matching: filter, configuration: configuration, logger: logger)
        if json {
            print(OrderTimelineJSON.body(orderId: id, events: events, deadLetters: letters))
            return
        }
        var lines = [
            "order \(SafeText.escaped(Array(id.utf8))): \(events.count) applied event\(events.count == 1 ? "" : "s"), \(letters.count) dead letter\(letters.count == 1 ? "" : "s")"
        ]
        for event in events {
            lines.append(
                "  \(event.occurredAt)  \(event.eventType)  \(SafeText.escaped(Array(event.eventId.utf8)))  from \(event.sourceTopic):\(event.sourcePartition):\(event.sourceOffset)"
            )
        }
        for letter in letters {
            lines.append(
                "  dead letter \(letter.coordinates) written \(DeadLetterRendering.time(letter.timestampMillis)): \(letter.reason) \(SafeText.escaped(Array(letter.detail.utf8))) (event \(SafeText.escaped(Array((letter.eventId ?? "-").utf8))))"
            )
        }
        print(lines.joined(separator: "\n"))
        if events.isEmpty && letters.isEmpty { throw DeadLetterInputError("order \(id) was never seen") }
    }
}
