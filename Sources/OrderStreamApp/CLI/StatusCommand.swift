import ArgumentParser
import Foundation
import Kafka
import OrderStreamDomain
import OrderStreamWorker
import PostgreSQL

/// `orderstream status [--json]`: per partition the owner color, the position in PostgreSQL,
/// Kafka's high watermark, the lag in events and in seconds (age of the message at the
/// position), whether it is paused; the active color and epoch; the live workers.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract:
            "Shows owners, positions, high watermarks, lag (events and seconds) and pauses per partition, and the live workers."
    )

    @OptionGroup var options: GlobalOptions

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() async throws {
        let configuration = try options.configuration()
        let logger = ProcessLogging.logger(configuration, label: "orderstream.status")
        let report = try await StatusReport.measure(
            configuration, applicationName: "orderstream:status", logger: logger)
        print(json ? report.json : report.table)
    }
}
