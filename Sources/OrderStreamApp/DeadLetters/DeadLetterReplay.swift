import Kafka
import Logging
import OrderStreamCommon
import OrderStreamDomain
import OrderStreamWorker
import PostgreSQL

/// A replay's I/O, shared by `orderstream dlq replay` and the console: find the selected
/// letters, publish a checked plan, record it. The checks themselves are `ReplayPlan`'s (pure).
enum DeadLetterReplay {
    /// Which letters: named by coordinates, or selected by a filter (at most `limit`, oldest first).
    struct Selection: Sendable {
        var coordinates: [LetterCoordinates] = []
        var filter = DeadLetterFilter()
        var limit: Int?
    }

    /// What a published replay did.
    struct Result: Sendable {
        let outcomes: [ReplayLog.Outcome]
        let operationId: Int64
        /// `replayed N letters`, or how many were not delivered.
        let summary: String
        var delivered: Int { outcomes.filter { $0.target != nil }.count }
    }

    /// The letters the selection names or its filter selects, in coordinate order. A named letter
    /// that does not exist refuses the whole selection.
    static func select(
        _ selection: Selection, configuration: OrderStreamConfiguration, logger: Logger
    ) async throws -> [DeadLetter] {
        if selection.coordinates.isEmpty {
            let letters = try await DeadLetterInbox.letters(
                matching: selection.filter, configuration: configuration, logger: logger)
            return selection.limit.map { Array(letters.prefix($0)) } ?? letters
        }
        var filter = DeadLetterFilter()
        filter.topics = Array(Set(selection.coordinates.map(\.topic))).sorted()
        let byPlace = Dictionary(
            try await DeadLetterInbox.letters(matching: filter, configuration: configuration, logger: logger).map {
                ($0.coordinates, $0)
            },
            uniquingKeysWith: { first, _ in first })
        let missing = selection.coordinates.filter { byPlace[$0] == nil }
        guard missing.isEmpty else {
            throw DeadLetterInputError(
                "no dead letter at \(missing.map(\.description).joined(separator: ", ")); nothing replayed")
        }
        return selection.coordinates.compactMap { byPlace[$0] }
    }

    /// Publishes `plan` (which must have no refusals) and records it: one `operations` row and
    /// one `dlq_replays` row per letter, in one transaction. PostgreSQL is connected first: a
    /// replay that could not be recorded is not started.
    static func publish(
        _ plan: ReplayPlan, rate: ReplayRate?, actor: String, arguments: String, fixFile: String?,
        configuration: OrderStreamConfiguration, logger: Logger
    ) async throws -> Result {
        try plan.requireNoRefusals()
        let database = try PGConnectionConfiguration(configuration.databaseURL).withApplicationName("orderstream:dlq")
        let connection = try await Blocking.run { try PGConnection.connect(database, logger: logger) }
        defer { connection.close() }
        let producer = try KafkaProducer(configuration: configuration.kafkaConfiguration, logger: logger)
        let publisher = ReplayPublisher(producer: producer, rate: rate)
        let outcomes = await Blocking.run { publisher.publish(plan.items) }
        producer.close()

        let delivered = outcomes.filter { $0.target != nil }.count
        let summary =
            delivered == outcomes.count
            ? "replayed \(delivered) letters"
            : "replayed \(delivered) of \(outcomes.count) letters; \(outcomes.count - delivered) not delivered"
        let group = configuration.group
        let detail = auditDetail(outcomes, fixFile: fixFile, rate: rate)
        let operationId = try await Blocking.run {
            try connection.transaction { (connection) throws(PGError) -> Int64 in
                let id = try OperationsLog.record(
                    group: group, actor: actor, command: "dlq replay", arguments: arguments,
                    epoch: nil, result: summary, detail: detail, on: connection)
                try ReplayLog.record(outcomes, operationId: id, group: group, actor: actor, on: connection)
                return id
            }
        }
        return Result(outcomes: outcomes, operationId: operationId, summary: summary)
    }

    /// The audit's `detail`: per letter where it went and how.
    static func auditDetail(_ outcomes: [ReplayLog.Outcome], fixFile: String?, rate: ReplayRate?) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        if let fixFile { writer.field("fix_file", fixFile) }
        if let rate { writer.key("rate_per_second"); writer.double(rate.perSecond) }
        writer.key("letters")
        writer.beginArray()
        for outcome in outcomes {
            writer.beginObject()
            writer.field("letter", outcome.item.letter.coordinates.description)
            writer.field("fixed", outcome.item.fixed)
            writer.field("replay_count", Int64(outcome.item.replayCount))
            writer.key("target")
            if let target = outcome.target { writer.string(target) } else { writer.null() }
            writer.field("result", outcome.result)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.text
    }
}
