import ArgumentParser

/// `orderstream offsets show|reset`: the positions in PostgreSQL, which are the truth (Kafka's
/// committed offsets only follow them as a hint for lag tools).
struct OffsetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "offsets",
        abstract: "Shows or moves the consumer group's positions in PostgreSQL (fenced like a cutover, audited).",
        subcommands: [OffsetsShowCommand.self, OffsetsResetCommand.self])
}
