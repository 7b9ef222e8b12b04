import ArgumentParser
import Foundation
import Kafka
import OrderStreamWorker
import PostgreSQL

/// `orderstream cutover --to blue|green [--timeout SECONDS]`: the blue-green handover (and,
/// called back, the rollback). Exits 0 once the target color owns every partition and has
/// committed on every partition with pending events; prints the processing pause it caused.
///
/// A canary moves only some partitions first: `--partitions orders:0,3,payments:0,3` or
/// `--share 25%`; `--promote` (a full cutover) moves the rest, `--abort` moves them back.
struct CutoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cutover",
        abstract: "Hands partitions to the other color (blue-green, or a canary of some partitions), fencing by epoch.")

    @OptionGroup var options: GlobalOptions

    @Option(help: "The color that takes over: blue or green (not with --abort).")
    var to: String?

    @Option(help: "A canary: only these partitions go to --to, e.g. orders:0,3,payments:0,3.")
    var partitions: String?

    @Option(help: "A canary: this share of the partition numbers (both topics alike) goes to --to, e.g. 25%.")
    var share: String?

    @Flag(help: "After a canary: move every partition to --to (the same as a full cutover).")
    var promote = false

    @Flag(help: "After a canary: move the canary's partitions back to the active color.")
    var abort = false

    @Option(help: "Seconds to wait for the new color to commit everywhere it has pending events.")
    var timeout: Double = 60

    @Flag(name: .customLong("no-restore-point"),
          help: "Do not create a PostgreSQL restore point before the fence (record only the WAL position).")
    var noRestorePoint = false

    func validate() throws {
        if abort {
            guard to == nil, partitions == nil, share == nil, !promote else {
                throw ValidationError("--abort takes no --to, --partitions, --share or --promote")
            }
        } else {
            guard let to else { throw ValidationError("--to is required (blue or green), unless --abort") }
            guard to == "blue" || to == "green" else { throw ValidationError("--to must be blue or green, not '\(to)'") }
        }
        guard [partitions != nil, share != nil, promote].filter({ $0 }).count <= 1 else {
            throw ValidationError("give at most one of --partitions, --share and --promote")
        }
        if let partitions, case .failure(let failure) = CanarySelection.parse(partitions) { throw ValidationError("\(failure)") }
        if let share, case .failure(let failure) = CanarySelection.share(share) { throw ValidationError("\(failure)") }
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number of seconds") }
    }

    func run() async throws {
        let configuration = try options.configuration()
        let logger = ProcessLogging.logger(configuration, label: "orderstream.cutover")
        var configured = Cutover(group: configuration.group, toColor: to ?? "",
                                 timeout: .milliseconds(Int64(timeout * 1000)), logger: logger)
        configured.restorePoint = !noRestorePoint
        if abort { configured.scope = .abort }
        let cutover = configured
        let (listed, shared) = (partitions.flatMap { try? CanarySelection.parse($0).get() },
                                share.flatMap { try? CanarySelection.share($0).get() })
        let report: Cutover.Report = try await Blocking.run(name: "orderstream-cutover") {
            let connection = try PGConnection.connect(
                try PGConnectionConfiguration(configuration.databaseURL).withApplicationName("orderstream:cutover"),
                logger: logger)
            defer { connection.close() }
            let consumer = try configuration.watermarkClient(for: "cutover", logger: logger)
            defer { consumer.close() }
            var step = cutover
            if listed != nil || shared != nil {
                let existing = try OperatorPositions.rows(group: cutover.group, on: connection).map(\.partition)
                let chosen = try (listed.map { CanarySelection.check($0, existing: existing) }
                    ?? CanarySelection.partitions(share: shared ?? 0, of: existing)).get()
                step.scope = .partitions(chosen)
            }
            return try step.run(on: connection) { partition in
                try? consumer.watermarks(topic: partition.topic, partition: partition.partition, timeout: .seconds(2)).high
            }
        }
        print(Self.describe(report))
        // The handover happened, but the exactly-once books do not balance: say so loudly.
        if let verification = report.verification, !verification.verified { throw ExitCode(3) }
    }

    static func describe(_ report: Cutover.Report) -> String {
        if report.alreadyActive {
            if report.kind == "abort" {
                return "no canary is out in group \(report.group): \(report.toColor) owns every partition; nothing to do"
            }
            return "\(report.toColor) is already the active color of group \(report.group) (epoch \(report.epoch)); nothing to do"
        }
        let scope = report.kind == "cutover" ? "" : " of \(report.moved.joined(separator: ", "))"
        var lines = [
            "\(report.kind) of group \(report.group)\(scope): \(report.fromColor) -> \(report.toColor), epoch \(report.epoch)",
            "\(report.toColor) committed on every partition with pending events \(String(format: "%.3f", report.completionSeconds)) s after the fence",
        ]
        if let lsn = report.walPosition {
            lines.append(report.restorePoint.map { "restore point \($0) at WAL \(lsn)" }
                         ?? "no restore point (--no-restore-point); WAL position before the fence: \(lsn)")
        }
        if report.terminatedSessions > 0 {
            lines.append("ended \(report.terminatedSessions) session(s) of \(report.fromColor) that held the position rows")
        }
        if let verification = report.verification {
            lines.append(verification.verdict(color: report.toColor, epoch: report.epoch))
        }
        if let pause = report.pauseSeconds {
            lines.append("processing pause: \(String(format: "%.3f", pause)) s (last \(report.fromColor) commit to first \(report.toColor) commit)")
        } else {
            lines.append("processing pause: none measured (no events were pending)")
        }
        return lines.joined(separator: "\n")
    }
}
