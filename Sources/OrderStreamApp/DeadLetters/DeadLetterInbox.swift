import Kafka
import Logging
import OrderStreamCommon
import OrderStreamWorker

/// The commands' way into the dead-letter topics: a short-lived reader client (group id
/// `<group>-dlq`, which never joins or commits) run on a thread of its own.
enum DeadLetterInbox {
    /// Every letter of the filter's topics that the filter matches, in coordinate order.
    static func letters(
        matching filter: DeadLetterFilter, configuration: OrderStreamConfiguration,
        logger: Logger
    ) async throws -> [DeadLetter] {
        try await Blocking.run {
            let consumer = try configuration.watermarkClient(for: "dlq", logger: logger)
            defer { consumer.close() }
            return try DeadLetterReader(consumer: consumer).readAll(topics: filter.topics).filter(filter.matches)
        }
    }

    /// The letter at `coordinates`, or nil when there is none.
    static func letter(
        at coordinates: LetterCoordinates, configuration: OrderStreamConfiguration,
        logger: Logger
    ) async throws -> DeadLetter? {
        try await Blocking.run {
            let consumer = try configuration.watermarkClient(for: "dlq", logger: logger)
            defer { consumer.close() }
            return try DeadLetterReader(consumer: consumer).readOne(coordinates)
        }
    }
}
