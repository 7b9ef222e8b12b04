import ArgumentParser
import Foundation
import Kafka
import OrderStreamDomain
import OrderStreamWorker
import PostgreSQL

/// `orderstream status [--json]`: per partition the owner color, the position in PostgreSQL,
/// Kafka's high watermark and the lag; the active color and epoch; the live workers.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Shows owners, positions, high watermarks and lag per partition, and the live workers.")

    @OptionGroup var options: GlobalOptions

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() async throws {
        let configuration = try options.configuration()
        let logger = ProcessLogging.logger(configuration, label: "orderstream.status")
        let report = try await Blocking.run {
            let connection = try PGConnection.connect(
                try PGConnectionConfiguration(configuration.databaseURL).withApplicationName("orderstream:status"), logger: logger)
            defer { connection.close() }
            var report = try StatusReport.read(group: configuration.group, on: connection)
            let consumer = try configuration.watermarkClient(for: "status", logger: logger)
            defer { consumer.close() }
            for index in report.partitions.indices {
                let row = report.partitions[index]
                report.partitions[index].highWatermark =
                    try? consumer.watermarks(topic: row.topic, partition: row.partition, timeout: .seconds(5)).high
            }
            return report
        }
        print(json ? report.json : report.table)
    }
}
