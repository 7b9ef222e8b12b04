import ArgumentParser
import OrderStreamCommon
import OrderStreamWorker
import PostgreSQL

/// `orderstream dlq history`: the letters past replays re-published, newest first.
struct DeadLetterHistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Shows past replays (one row per replayed letter, newest first) from PostgreSQL.")

    @OptionGroup var options: GlobalOptions

    @Option(help: "Show at most N rows, 1-100000.")
    var limit: Int = 100

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        guard (1...100_000).contains(limit) else { throw ValidationError("--limit must be 1-100000") }
    }

    func run() async throws {
        let configuration = try options.configuration()
        let logger = ProcessLogging.logger(configuration, label: "orderstream.dlq")
        let limit = self.limit
        let rows = try await Blocking.run {
            let connection = try PGConnection.connect(
                try PGConnectionConfiguration(configuration.databaseURL).withApplicationName("orderstream:dlq"),
                logger: logger)
            defer { connection.close() }
            return try ReplayLog.history(group: configuration.group, limit: limit, on: connection)
        }
        print(json ? ReplayLog.json(rows) : ReplayLog.table(rows))
    }
}
