import Kafka
import Logging
import OrderStreamCommon
import PostgreSQL

/// The worker's side of a rebalance, called by the Kafka layer on the polling thread:
/// - before partitions are released, their in-flight batches finish or are cancelled (rolled
///   back) within `revokeTimeout`;
/// - newly assigned partitions start from their position in PostgreSQL, and are held hot
///   (paused) when this worker's color does not own them.
final class RebalanceCoordinator: KafkaRebalanceHandler {
    private let settings: WorkerSettings
    private let table: PartitionTable
    private let control: PGConnection
    private let lanes: [ApplyLane]
    private let metrics: WorkerMetrics
    private let state: WorkerState
    private let logger: Logger

    init(
        settings: WorkerSettings, table: PartitionTable, control: PGConnection, lanes: [ApplyLane],
        metrics: WorkerMetrics, state: WorkerState, logger: Logger
    ) {
        self.settings = settings
        self.table = table
        self.control = control
        self.lanes = lanes
        self.metrics = metrics
        self.state = state
        self.logger = logger
    }

    func partitionsRevoked(_ partitions: [TopicPartition], lost: Bool) {
        (lost ? metrics.rebalancesLost : metrics.rebalancesRevoked).increment()
        logger.info(
            "partitions revoked",
            metadata: [WorkerLogKey.partitions: "\(partitions.sorted())", WorkerLogKey.lost: "\(lost)"])
        let late = table.revoke(partitions, timeout: settings.revokeTimeout)
        for lane in late {
            logger.warning(
                "revoked partition still in flight past the bound; cancelling its statement",
                metadata: [WorkerLogKey.lane: "\(lane)"])
            lanes[lane].cancel()
        }
        metrics.ownedPartitions.set(to: Double(table.activeCount))
    }

    func partitionsAssigned(_ partitions: [TopicPartition]) -> [TopicPartition: Int64] {
        metrics.rebalancesAssigned.increment()
        state.update { $0.joined = true }
        var claimed: [TopicPartition: PositionStore.Position] = [:]
        var delay = RetryBackoff.lane
        for attempt in 1...3 {
            do {
                claimed = try PositionStore.claim(partitions, group: settings.group, on: control)
                state.update { $0.databaseUp = true }
                break
            } catch {
                state.update { $0.databaseUp = false }
                logger.warning(
                    "reading positions at assignment failed",
                    metadata: [WorkerLogKey.error: "\(error)", WorkerLogKey.attempt: "\(attempt)"])
                if attempt < 3 { delay.sleep() }
            }
        }
        var entries: [TopicPartition: PartitionStates.Assignment] = [:]
        var offsets: [TopicPartition: Int64] = [:]
        for key in partitions {
            if let row = claimed[key] {
                entries[key] = .init(
                    expected: row.nextOffset, epoch: row.epoch, active: row.isActive(for: settings.color),
                    needsRefresh: false)
                offsets[key] = row.nextOffset == 0 ? KafkaOffset.beginning : row.nextOffset
            } else {
                // PostgreSQL is unreachable: fetch from Kafka's committed offset (never ahead of
                // PostgreSQL's position) and let the lane read the real position before applying.
                entries[key] = .init(expected: 0, epoch: 0, active: false, needsRefresh: true)
            }
        }
        table.assign(entries)
        let active = entries.filter { $0.value.active }.count
        metrics.ownedPartitions.set(to: Double(table.activeCount))
        state.update { $0.active = $0.active || active > 0 }
        logger.info(
            "partitions assigned",
            metadata: [
                WorkerLogKey.partitions: "\(partitions.sorted())", WorkerLogKey.active: "\(active)",
                WorkerLogKey.offsets: "\(offsets.sorted { $0.key < $1.key }.map { "\($0.key)@\($0.value)" })",
            ])
        return offsets
    }
}
