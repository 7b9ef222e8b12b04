import ArgumentParser
import OrderStreamWorker

/// `orderstream pause --topic T [--partition P]`: the owner holds the partitions (assigned, not
/// fetched, nothing applied) until `resume`, across worker restarts and cutovers.
struct PauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause",
        abstract: "Pauses partitions for every worker of the group (fenced, audited, survives restarts).")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var selection: PartitionSelection

    func run() async throws {
        try await PauseChange.run(paused: true, options: options, selection: selection)
    }
}

/// `orderstream resume --topic T [--partition P]`: the owner applies the partitions again from
/// their positions.
struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume", abstract: "Resumes paused partitions; the owner catches up from their positions.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var selection: PartitionSelection

    func run() async throws {
        try await PauseChange.run(paused: false, options: options, selection: selection)
    }
}

/// What pause and resume share.
enum PauseChange {
    static func run(paused: Bool, options: GlobalOptions, selection: PartitionSelection) async throws {
        let configuration = try options.configuration()
        let command = paused ? "pause" : "resume"
        let logger = ProcessLogging.logger(configuration, label: "orderstream.\(command)")
        let request = OperatorPositions.Request(
            group: configuration.group, actor: try selection.resolvedActor(), command: command,
            arguments: selection.describe(""))
        let outcome = try await OperatorSession.run(configuration, command: command, logger: logger) { session in
            let rows = try OperatorPositions.rows(group: request.group, on: session.connection)
            let partitions = try selection.partitions(in: rows, group: request.group)
            return try OperatorPositions.setPaused(paused, partitions, request: request, on: session.connection)
        }
        let verb = paused ? "paused" : "resumed"
        if let epoch = outcome.epoch {
            print(
                "\(verb) \(outcome.detail.map(\.description).joined(separator: ", ")) under epoch \(epoch); "
                    + "audited as operation \(outcome.operationId ?? 0)")
        } else {
            print("nothing to do: the selected partitions are already \(verb)")
        }
    }
}
