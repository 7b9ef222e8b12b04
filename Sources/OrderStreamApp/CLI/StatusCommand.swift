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
        abstract: "Shows owners, positions, high watermarks, lag (events and seconds) and pauses per partition, and the live workers.")

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
            // After one timeout Kafka is taken as unreachable: the other partitions are reported
            // as not measured at once rather than after 5 s each.
            var kafkaAnswers = true
            for index in report.partitions.indices where kafkaAnswers {
                let row = report.partitions[index]
                report.partitions[index].highWatermark =
                    try? consumer.watermarks(topic: row.topic, partition: row.partition, timeout: .seconds(5)).high
                kafkaAnswers = report.partitions[index].highWatermark != nil
            }
            // The lag in seconds: the timestamp of the message at each lagging position.
            let lagging = report.partitions.filter(\.measured.isLagging)
                .map { TopicPartitionOffset(topic: $0.topic, partition: $0.partition, offset: $0.position) }
            let oldest = (try? OldestUnappliedMessages.timestamps(at: lagging, consumer: consumer, timeout: .seconds(5))) ?? [:]
            for index in report.partitions.indices {
                let row = report.partitions[index]
                report.partitions[index].oldestUnappliedTimestampMillis =
                    oldest[TopicPartition(topic: row.topic, partition: row.partition)]
            }
            report.measuredAtMillis = Int64(Date().timeIntervalSince1970 * 1000)
            return report
        }
        print(json ? report.json : report.table)
    }
}
