import ArgumentParser

/// `orderstream <command>`: the operator interface of INTERFACE.md.
public struct OrderStreamCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "orderstream",
        abstract: "Applies order and payment events from Kafka to PostgreSQL exactly once.",
        subcommands: [
            BrokerCommand.self, MigrateCommand.self, WorkerCommand.self, PublishCommand.self,
            LoadgenCommand.self, StatusCommand.self, CutoverCommand.self, KPIsCommand.self,
        ])

    public init() {}
}
