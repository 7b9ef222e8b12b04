import ArgumentParser

/// `orderstream dlq stats`: counts by topic and reason, the oldest and newest letter.
struct DeadLetterStatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Counts the dead letters by topic and by reason, and names the oldest and newest.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var selection: DeadLetterSelectionOptions

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
        _ = try selection.filter()
    }

    func run() async throws {
        let filter = try selection.filter()
        let configuration = try options.configuration()
        let logger = ProcessLogging.logger(configuration, label: "orderstream.dlq")
        let stats = DeadLetterStats(
            try await DeadLetterInbox.letters(matching: filter, configuration: configuration, logger: logger))
        print(json ? stats.json : stats.table)
    }
}
