import ArgumentParser

/// `orderstream <command>`: the operator interface of docs/interface.md.
public struct OrderStreamCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "orderstream",
        abstract: "Applies order and payment events from Kafka to PostgreSQL exactly once.",
        version: BuildInfo.versionLine,
        subcommands: [
            BrokerCommand.self, MigrateCommand.self, WorkerCommand.self, PublishCommand.self,
            LoadgenCommand.self, StatusCommand.self, CutoverCommand.self, KPIsCommand.self, RelayCommand.self,
            OffsetsCommand.self, PauseCommand.self, ResumeCommand.self,
            DeadLetterCommand.self, OrderCommand.self, ConsoleCommand.self,
        ])

    public init() {}
}
