import Foundation
import Kafka
import Logging
import Synchronization

/// The polling thread: fetches messages into the `PartitionTable`, pauses partitions that must
/// not fetch (standby color, full buffers, a pending refresh) and resumes the others, and
/// commits applied positions to Kafka as a hint for lag tools. The rebalance callback runs on
/// this thread, inside `poll`.
final class ConsumerLoop: Sendable {
    private let consumer: KafkaConsumer
    private let table: PartitionTable
    private let settings: WorkerSettings
    private let state: WorkerState
    private let logger: Logger
    private let stopSignal = StopSignal()

    init(consumer: KafkaConsumer, table: PartitionTable, settings: WorkerSettings, state: WorkerState, logger: Logger) {
        self.consumer = consumer
        self.table = table
        self.settings = settings
        self.state = state
        self.logger = logger
    }

    /// Asks the loop to stop fetching; `run` then returns (the consumer stays open so the
    /// caller can close it after the lanes have finished).
    func requestStop() {
        stopSignal.raise()
    }

    func run() {
        var paused = Set<TopicPartition>()
        var lastCommit = Date()
        var lastPauseCheck = Date.distantPast
        while !stopSignal.isRaised {
            do {
                let messages = try consumer.poll(maxMessages: 2_000, timeout: .milliseconds(50))
                // Not a sign that Kafka is up: librdkafka hands over what it fetched before an
                // outage for a long while after it. The lag monitor's watermark queries (a broker
                // round trip, every 5 s) say when Kafka answers again.
                if !messages.isEmpty {
                    let fetchedAt = ContinuousClock.now
                    table.append(messages.map { Self.consumed($0, fetchedAt: fetchedAt) })
                }
            } catch {
                logger.warning("poll failed", metadata: [WorkerLogKey.error: "\(error)"])
                Thread.sleep(forTimeInterval: 0.1)
            }
            let now = Date()
            if now.timeIntervalSince(lastPauseCheck) >= 0.02 {
                lastPauseCheck = now
                // Resume first, then seek (librdkafka discards what was fetched before a seek, and
                // the table drops it too). Measured here with librdkafka 2.0.2: seeking a paused
                // partition and then resuming it delayed its first fetch by about a second, which
                // was most of a cutover's pause; in this order (and with a short fetch.wait.max.ms) ten
                // cutovers under load paused 0.01-0.08 s.
                paused = applyFlowControl(paused: paused)
                applySeeks()
            }
            if now.timeIntervalSince(lastCommit) >= 1 {
                lastCommit = now
                commitHints()
            }
        }
        // Stop fetching everything we hold; the lanes finish what they have.
        let held = table.heldPartitions
        if !held.isEmpty { try? consumer.pause(held) }
        commitHints()
    }

    /// Moves the fetch position of partitions that just became active to PostgreSQL's position.
    private func applySeeks() {
        let seeks = table.pendingSeeks()
        guard !seeks.isEmpty else { return }
        do {
            try consumer.seek(seeks, timeout: .seconds(5))
            table.seeked(seeks)
            logger.info(
                "fetch positions moved to PostgreSQL's positions", metadata: [WorkerLogKey.partitions: "\(seeks.count)"]
            )
        } catch {
            logger.warning("seek failed; retrying", metadata: [WorkerLogKey.error: "\(error)"])
        }
    }

    /// Pauses what must not fetch and resumes what may; returns the new paused set.
    private func applyFlowControl(paused: Set<TopicPartition>) -> Set<TopicPartition> {
        let plan = table.fetchPlan(limit: settings.bufferLimit)
        let change = plan.changes(from: paused)
        do {
            if !change.pause.isEmpty { try consumer.pause(Array(change.pause)) }
            if !change.resume.isEmpty { try consumer.resume(Array(change.resume)) }
        } catch {
            logger.warning("pause/resume failed", metadata: [WorkerLogKey.error: "\(error)"])
            return paused
        }
        return plan.paused(after: change, from: paused)
    }

    /// Kafka's committed offsets follow PostgreSQL's positions, for lag tools only.
    private func commitHints() {
        let positions = table.activePositions().filter { $0.offset > 0 }
        guard !positions.isEmpty else { return }
        do {
            try consumer.commit(offsets: positions, async: true)
        } catch {
            logger.debug("committing offset hints failed", metadata: [WorkerLogKey.error: "\(error)"])
        }
    }

    static func consumed(_ message: KafkaMessage, fetchedAt: ContinuousClock.Instant) -> ConsumedMessage {
        ConsumedMessage(
            partition: message.topicPartition, offset: message.offset, key: message.key,
            value: message.value, timestampMillis: message.timestamp, headers: message.headers, fetchedAt: fetchedAt)
    }
}

/// A one-way flag one thread raises and others check.
final class StopSignal: Sendable {
    private let flag = Mutex(false)

    func raise() { flag.withLock { $0 = true } }

    var isRaised: Bool { flag.withLock { $0 } }
}
