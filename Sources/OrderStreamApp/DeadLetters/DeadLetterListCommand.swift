import ArgumentParser

/// `orderstream dlq list`: the dead letters that match the filters.
struct DeadLetterListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Lists the dead letters (read from the .dlq topics up to their high watermark).")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var selection: DeadLetterSelectionOptions

    @Option(help: "Show at most N letters (the oldest by position first), >= 1.")
    var limit: Int?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        _ = try selection.filter()
        if let limit, limit < 1 { throw ValidationError("--limit must be >= 1") }
    }

    func run() async throws {
        let filter = try selection.filter()
        let configuration = try options.configuration()
        let logger = ProcessLogging.logger(configuration, label: "orderstream.dlq")
        var letters = try await DeadLetterInbox.letters(matching: filter, configuration: configuration, logger: logger)
        if let limit { letters = Array(letters.prefix(limit)) }
        print(json ? DeadLetterRendering.json(letters) : DeadLetterRendering.table(letters))
    }
}
