import Kafka
import OrderStreamWorker

/// The lag of a status row as the scaling signal measures it (`PartitionLag`), and where it could
/// not be measured.
extension StatusReport.PartitionRow {
    var measured: PartitionLag {
        PartitionLag(
            partition: TopicPartition(topic: topic, partition: partition), position: position,
            highWatermark: highWatermark, paused: paused,
            oldestUnappliedTimestampMillis: oldestUnappliedTimestampMillis)
    }
}

extension StatusReport {
    /// Where the lag could not be measured, and why, one line per partition.
    var unmeasured: [String] {
        partitions.compactMap { p in
            let name = "\(p.topic)[\(p.partition)]"
            if p.paused { return nil }
            if p.highWatermark == nil {
                return "\(name): no high watermark from Kafka (lag in events and seconds unknown)"
            }
            if p.measured.isLagging && p.oldestUnappliedTimestampMillis == nil {
                return "\(name): the message at the position was not read from Kafka (lag in seconds unknown)"
            }
            return nil
        }
    }
}
