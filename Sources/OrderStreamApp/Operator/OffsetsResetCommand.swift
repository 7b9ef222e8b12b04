import ArgumentParser
import Foundation
import Kafka
import OrderStreamWorker

/// `orderstream offsets reset --topic T [--partition P] --to-offset N | --to-time TS | --shift N
/// [--dry-run]`: moves positions in PostgreSQL under a new epoch. Events read again are skipped
/// as duplicates (every event is deduplicated by event_id); events skipped are never applied.
struct OffsetsResetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset",
        abstract: "Moves positions (fenced by a new epoch, audited); running workers adopt the change at once.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var selection: PartitionSelection
    @OptionGroup var reset: ResetTarget

    @Flag(name: .customLong("dry-run"), help: "Print what would move, change nothing.")
    var dryRun = false

    func run() async throws {
        let configuration = try options.configuration()
        let logger = ProcessLogging.logger(configuration, label: "orderstream.offsets")
        let request = OperatorPositions.Request(
            group: configuration.group, actor: try selection.resolvedActor(), command: "offsets reset",
            arguments: selection.describe(reset.describe + (dryRun ? " --dry-run" : "")), dryRun: dryRun)
        let selection = self.selection
        let target = reset.target
        let outcome = try await OperatorSession.run(configuration, command: "offsets", logger: logger) { session in
            let rows = try OperatorPositions.rows(group: request.group, on: session.connection)
            let partitions = try selection.partitions(in: rows, group: request.group)
            let watermarks = session.watermarks(partitions)
            var timeOffsets: [TopicPartition: Int64] = [:]
            if case .time(let millis) = target {
                timeOffsets = try session.offsets(atOrAfter: millis, partitions, watermarks: watermarks)
            }
            return try OperatorPositions.reset(
                partitions, to: target, request: request, watermarks: watermarks, timeOffsets: timeOffsets,
                on: session.connection)
        }
        print(Self.describe(outcome, dryRun: dryRun))
    }

    static func describe(_ outcome: OperatorPositions.Outcome<OffsetResetPlan>, dryRun: Bool) -> String {
        var lines: [String] = []
        for move in outcome.detail.moves {
            let what =
                move.delta == 0 ? "unchanged" : move.delta > 0 ? "skips \(move.delta)" : "reads \(-move.delta) again"
            lines.append(
                "\(move.partition): \(move.from) -> \(move.to) (\(what))" + (move.note.map { "; \($0)" } ?? ""))
        }
        if dryRun {
            lines.append("dry run: nothing was changed")
        } else if let epoch = outcome.epoch {
            lines.append("moved under epoch \(epoch); audited as operation \(outcome.operationId ?? 0)")
        } else {
            lines.append("nothing to move")
        }
        return lines.joined(separator: "\n")
    }
}
