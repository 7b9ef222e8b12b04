import Foundation
import Kafka
import Logging
import OrderStreamCommon
import OrderStreamWorker
import PostgreSQL

extension StatusReport {
    /// The report `orderstream status` prints and the console's Partitions view shows: positions
    /// from PostgreSQL, completed with Kafka's high watermarks and the age of the oldest unapplied
    /// message of each lagging partition. One connection and one Kafka client, on a thread of
    /// their own, closed before it returns.
    static func measure(
        _ configuration: OrderStreamConfiguration, applicationName: String, logger: Logger
    ) async throws -> StatusReport {
        try await Blocking.run {
            let connection = try PGConnection.connect(
                try PGConnectionConfiguration(configuration.databaseURL).withApplicationName(applicationName),
                logger: logger)
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
            let oldest =
                (try? OldestUnappliedMessages.timestamps(at: lagging, consumer: consumer, timeout: .seconds(5))) ?? [:]
            for index in report.partitions.indices {
                let row = report.partitions[index]
                report.partitions[index].oldestUnappliedTimestampMillis =
                    oldest[TopicPartition(topic: row.topic, partition: row.partition)]
            }
            report.measuredAtMillis = Int64(Date().timeIntervalSince1970 * 1000)
            return report
        }
    }
}
