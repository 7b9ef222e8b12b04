import ArgumentParser

/// `orderstream dlq <command>`: the dead-letter inbox (list, show, stats), replays and their
/// history. See docs/OPERATIONS.md, "Dead letters".
struct DeadLetterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "Reads, counts and replays the dead letters of orders.dlq and payments.dlq.",
        subcommands: [
            DeadLetterListCommand.self, DeadLetterShowCommand.self, DeadLetterStatsCommand.self,
            DeadLetterReplayCommand.self, DeadLetterHistoryCommand.self,
        ])
}
