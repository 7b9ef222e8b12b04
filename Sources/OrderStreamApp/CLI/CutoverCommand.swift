import ArgumentParser
import Foundation
import Kafka
import OrderStreamWorker
import PostgreSQL

/// `orderstream cutover --to blue|green [--timeout SECONDS]`: the blue-green handover (and,
/// called back, the rollback). Exits 0 once the target color owns every partition and has
/// committed on every partition with pending events; prints the processing pause it caused.
struct CutoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cutover",
        abstract: "Hands every partition to the other color (blue-green), fencing the old one by epoch.")

    @OptionGroup var options: GlobalOptions

    @Option(help: "The color that takes over: blue or green.")
    var to: String

    @Option(help: "Seconds to wait for the new color to commit everywhere it has pending events.")
    var timeout: Double = 60

    @Flag(name: .customLong("no-restore-point"),
          help: "Do not create a PostgreSQL restore point before the fence (record only the WAL position).")
    var noRestorePoint = false

    func validate() throws {
        guard to == "blue" || to == "green" else { throw ValidationError("--to must be blue or green, not '\(to)'") }
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number of seconds") }
    }

    func run() async throws {
        let configuration = try options.configuration()
        let logger = ProcessLogging.logger(configuration, label: "orderstream.cutover")
        var configured = Cutover(group: configuration.group, toColor: to,
                                 timeout: .milliseconds(Int64(timeout * 1000)), logger: logger)
        configured.restorePoint = !noRestorePoint
        let cutover = configured
        let report: Cutover.Report = try await Blocking.run(name: "orderstream-cutover") {
            let connection = try PGConnection.connect(
                try PGConnectionConfiguration(configuration.databaseURL).withApplicationName("orderstream:cutover"),
                logger: logger)
            defer { connection.close() }
            let consumer = try configuration.watermarkClient(for: "cutover", logger: logger)
            defer { consumer.close() }
            return try cutover.run(on: connection) { partition in
                try? consumer.watermarks(topic: partition.topic, partition: partition.partition, timeout: .seconds(2)).high
            }
        }
        print(Self.describe(report))
        // The handover happened, but the exactly-once books do not balance: say so loudly.
        if let verification = report.verification, !verification.verified { throw ExitCode(3) }
    }

    static func describe(_ report: Cutover.Report) -> String {
        if report.alreadyActive {
            return "\(report.toColor) is already the active color of group \(report.group) (epoch \(report.epoch)); nothing to do"
        }
        var lines = [
            "cutover of group \(report.group): \(report.fromColor) -> \(report.toColor), epoch \(report.epoch)",
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
