import Foundation
import Kafka
import Logging
import OrderStreamCommon
import OrderStreamDomain
import PostgreSQL
import Synchronization

/// One apply lane: a dedicated thread with its own PostgreSQL session that takes batches of
/// its partitions from the `PartitionTable`, dead-letters the rejections, and applies the rest
/// in one statement. Partitions are spread over lanes by number, so one partition's batches are
/// always applied in order by one lane, while lanes commit in parallel.
///
/// Blocking libpq and librdkafka calls happen here, on this thread, never on Swift's
/// cooperative pool.
final class ApplyLane: Sendable {
    let index: Int
    private let settings: WorkerSettings
    private let table: PartitionTable
    private let deadLetters: DeadLetterPublisher
    private let connection: PGConnection
    private let metrics: WorkerMetrics
    private let state: WorkerState
    private let logger: Logger
    /// Set by `cancel()` (another thread) before it cancels the running statement.
    private let cancelRequested = Atomic<Bool>(false)

    init(
        index: Int, settings: WorkerSettings, table: PartitionTable, deadLetters: DeadLetterPublisher,
        connection: PGConnection, metrics: WorkerMetrics, state: WorkerState, logger: Logger
    ) {
        self.index = index
        self.settings = settings
        self.table = table
        self.deadLetters = deadLetters
        self.connection = connection
        self.metrics = metrics
        self.state = state
        var logger = logger
        logger[metadataKey: WorkerLogKey.lane] = "\(index)"
        self.logger = logger
    }

    /// Cancels the statement this lane is running (a revoke or a drain that ran out of time):
    /// it rolls back, and the lane gives its partitions back. The flag tells this cancel from
    /// a server's `statement_timeout` (the same SQLSTATE 57014), which is retried instead.
    func cancel() {
        cancelRequested.store(true, ordering: .relaxed)
        connection.cancelRunningQuery()
    }

    /// The thread body: runs until the table stops and nothing of this lane is in flight.
    func run() {
        while true {
            guard let work = table.take(lane: index, maxMessages: settings.batchSize, wait: .milliseconds(200)) else {
                if table.stopping { break }
                continue
            }
            if !work.refresh.isEmpty {
                refresh(work.refresh)
            } else {
                apply(work)
            }
        }
        connection.close()
    }

    /// Every message set aside as not applied (`WorkerSettings.deadLetterEverything`).
    private static func injectedFault(_ messages: [ConsumedMessage]) -> [MessageCoordinates: Rejection] {
        let fault = Rejection(
            .applyFailed, "fault injection (ORDERSTREAM_FAULT_INJECTION=dead-letter-all): not applied")
        return Dictionary(messages.map { (MessageCoordinates($0), fault) }) { first, _ in first }
    }

    // MARK: refresh

    /// Re-reads the position rows (after a fence, a cutover notice or an assignment made while
    /// PostgreSQL was down) and adopts them.
    private func refresh(_ partitions: [TopicPartition]) {
        var delay = RetryBackoff.lane
        while true {
            do {
                let rows = try PositionStore.claim(partitions, group: settings.group, on: connection)
                var adopted: [TopicPartition: PartitionStates.PositionRow] = [:]
                for (key, row) in rows {
                    adopted[key] = .init(
                        nextOffset: row.nextOffset, epoch: row.epoch, active: row.isActive(for: settings.color))
                }
                table.refreshed(adopted)
                state.update { $0.databaseUp = true }
                return
            } catch {
                state.update { $0.databaseUp = false }
                logger.warning("reading positions failed, retrying", metadata: [WorkerLogKey.error: "\(error)"])
                if table.stopping {
                    table.release(partitions)
                    return
                }
                delay.sleep()
            }
        }
    }

    // MARK: apply

    private func apply(_ work: PartitionTable.Work) {
        let started = ContinuousClock.now
        let batch =
            settings.deadLetterEverything
            ? ValidatedBatch(
                messages: work.messages, expected: work.expected, setAside: Self.injectedFault(work.messages))
            : ValidatedBatch(messages: work.messages, expected: work.expected)
        let partitions = Array(batch.partitions.keys)
        let fence = BatchApplier.Fence(
            group: settings.group, color: settings.color, instanceId: settings.instanceId, epochs: work.epochs)
        var isolation = PoisonIsolation(messages: work.messages, expected: work.expected, validated: batch)
        // The batch's dead letters, once sent; sent again only after a failed delivery.
        var deadLetterDelivery: DeadLetterDelivery?
        var delay = RetryBackoff.lane
        cancelRequested.store(false, ordering: .relaxed)
        // However this batch ends (committed, fenced, given back on a revoke or a stop), its
        // partitions are no longer stalled here: a partition this lane gave back must not keep
        // the worker not-ready, and the next attempt reports again if it still fails.
        defer {
            state.update {
                for partition in partitions { $0.stalled[partition] = nil }
            }
            metrics.recordStalled(partitions, stalled: false)
        }
        while true {
            if table.pastStopDeadline {
                table.release(partitions)
                return
            }
            do throws(PoisonIsolation.Failure) {
                // Sent before the statement, acknowledged while it runs: the commit waits for
                // the acknowledgements (`BatchApplier.apply(_:fence:on:afterDeadLetters:)`).
                if deadLetterDelivery == nil && !batch.rejected.isEmpty {
                    deadLetterDelivery = deadLetters.send(batch.rejected)
                }
                try runIsolating(&isolation, fence: fence, started: started, deadLetters: deadLetterDelivery)
                state.update {
                    $0.databaseUp = true
                    // Only a dead letter the broker acknowledged says Kafka is up: a batch with
                    // none, applied from buffers fetched before an outage, says nothing about it.
                    if !batch.rejected.isEmpty { $0.kafkaUp = true }
                }
                logDeadLetters(batch.rejected)
                table.committed(isolation.expected.filter { batch.partitions[$0.key] != nil })
                return
            } catch {
                switch error {
                case .deadLetter(let error):
                    state.update {
                        $0.kafkaUp = false
                        $0.lastKafkaError = "\(error)"
                    }
                    if deadLetterDelivery?.failed == true {
                        deadLetterDelivery = nil
                        logger.warning(
                            "dead-letter write failed; the batch waits and retries",
                            metadata: [WorkerLogKey.error: "\(error)"])
                    } else {
                        logger.warning(
                            "writing a poison's dead letter failed; retrying",
                            metadata: [WorkerLogKey.error: "\(error)"])
                    }
                case .fenced:
                    metrics.batchesFenced.increment()
                    logger.notice(
                        "batch fenced: another owner or epoch; re-reading positions",
                        metadata: [WorkerLogKey.partitions: "\(partitions.sorted())"])
                    table.fenced(partitions)
                    return
                case .notIsolatable(let error):
                    let pending = pendingPartitions(isolation)
                    reportStalled(
                        pending, reason: "a database error not tied to one event: \(PoisonIsolation.detail(of: error))")
                    logger.error(
                        "applying a batch failed with a data error that no single event causes; retrying",
                        metadata: [WorkerLogKey.error: "\(error)", WorkerLogKey.partitions: "\(pending.sorted())"])
                    // The server's DETAIL line (it can quote row data): debug logs only.
                    logger.debug(
                        "the batch's data error in full", metadata: [WorkerLogKey.error: "\(String(reflecting: error))"]
                    )
                case .database(let error):
                    let ownCancel = error.kind == .queryCanceled && cancelRequested.load(ordering: .relaxed)
                    if ownCancel || !table.holdsAny(partitions) {
                        // Cancelled by a revoke or a drain past its deadline: rolled back, given back.
                        table.release(partitions)
                        return
                    }
                    state.update {
                        $0.databaseUp =
                            !(error.kind == .connectionLost || error.kind == .connectionFailed
                            || error.kind == .adminShutdown)
                    }
                    // A statement timeout, a lock held on a position row, an unknown error: the
                    // partitions wait, and /health/ready says why.
                    reportStalled(pendingPartitions(isolation), reason: PoisonIsolation.detail(of: error))
                    let level: Logger.Level = error.isTransient ? .warning : .error
                    logger.log(
                        level: level, "applying a batch failed; retrying the same batch",
                        metadata: [WorkerLogKey.error: "\(error)", WorkerLogKey.partitions: "\(partitions.sorted())"])
                    logger.debug(
                        "the batch's error in full", metadata: [WorkerLogKey.error: "\(String(reflecting: error))"])
                }
            }
            metrics.recordBatchRetry()
            if !table.holdsAny(partitions) {
                table.release(partitions)
                return
            }
            delay.sleep()
        }
    }

    /// Applies what `isolation` has not committed yet: one statement when nothing in it is
    /// poison, the bisection when something is (see `PoisonIsolation`).
    private func runIsolating(
        _ isolation: inout PoisonIsolation, fence: BatchApplier.Fence,
        started: ContinuousClock.Instant, deadLetters delivery: DeadLetterDelivery?
    ) throws(PoisonIsolation.Failure) {
        let statementsBefore = isolation.statements
        let isolatedBefore = isolation.setAside.count
        defer {
            if isolation.statements - statementsBefore > 1 {
                logger.notice(
                    "isolated poison events from a batch",
                    metadata: [
                        WorkerLogKey.statements: "\(isolation.statements - statementsBefore)",
                        WorkerLogKey.poisons: "\(isolation.setAside.count - isolatedBefore)",
                        WorkerLogKey.messages: "\(isolation.messages.count)",
                        WorkerLogKey.elapsed: "\(ContinuousClock.now - started)",
                    ])
            }
        }
        try isolation.run(
            PoisonIsolation.Steps(
                apply: { [connection] (part) throws(BatchApplier.Failure) -> BatchApplier.Outcome in
                    guard let delivery else { return try BatchApplier.apply(part, fence: fence, on: connection) }
                    return try BatchApplier.apply(
                        part, fence: fence, on: connection, afterDeadLetters: delivery.wait(timeout:))
                },
                probe: { [connection] (part) throws(BatchApplier.Failure) in
                    try BatchApplier.probe(part, fence: fence, on: connection)
                },
                deadLetter: { [self] (poison) throws(KafkaError) in
                    try deadLetters.publishAll([poison])
                    logDeadLetters([poison])
                    metrics.recordApplyFailed(topic: poison.message.partition.topic)
                },
                committed: { [self] part, outcome in
                    table.progressed(part.partitions.mapValues(\.nextOffset))
                    record(part, outcome: outcome, started: started)
                }))
    }

    /// The partitions of the batch that still have uncommitted messages.
    private func pendingPartitions(_ isolation: PoisonIsolation) -> [TopicPartition] {
        Array(Set(isolation.messages[isolation.committedCount...].map(\.partition)))
    }

    /// Says on /health/ready and /metrics which partitions wait, and why.
    private func reportStalled(_ partitions: [TopicPartition], reason: String) {
        state.update {
            for partition in partitions { $0.stalled[partition] = reason }
        }
        metrics.recordStalled(partitions, stalled: true)
    }

    /// One log line per dead letter, with where it came from (for log aggregation).
    private func logDeadLetters(_ rejected: [ValidatedBatch.Rejected]) {
        for item in rejected {
            var metadata: Logger.Metadata = [
                WorkerLogKey.topic: "\(item.message.partition.topic)",
                WorkerLogKey.partition: "\(item.message.partition.partition)",
                WorkerLogKey.offset: "\(item.message.offset)", WorkerLogKey.reason: "\(item.rejection.reason.rawValue)",
                WorkerLogKey.detail: "\(item.rejection.detail)",
            ]
            if let eventId = DeadLetterPublisher.eventId(of: item.message.value) {
                metadata[WorkerLogKey.eventId] = "\(eventId)"
            }
            logger.info("dead-lettered", metadata: metadata)
        }
    }

    /// Moves the counters of a committed batch (never before the commit).
    private func record(_ batch: ValidatedBatch, outcome: BatchApplier.Outcome, started: ContinuousClock.Instant) {
        let now = Date().timeIntervalSince1970
        let committedAt = ContinuousClock.now
        metrics.batchesApplied.increment()
        metrics.eventsApplied.increment(by: outcome.applied)
        metrics.batchSize.record(Double(batch.events.count + batch.rejected.count))
        metrics.recordBatchDuration(ContinuousClock.now - started, at: now)
        metrics.recordMembers(outcome.newMembers)
        var offered: [Topic: Int64] = [:]
        var slowest = -1.0
        for (_, message) in batch.events {
            metrics.fetchToCommit.record(committedAt - message.fetchedAt)
            if let millis = message.timestampMillis {
                let seconds = max(0, now - Double(millis) / 1000)
                metrics.publishToCommit.record(.microseconds(Int64(seconds * 1_000_000)))
                slowest = max(slowest, seconds)
            }
        }
        if slowest >= 0 { metrics.recordPublishToCommitMax(seconds: slowest) }
        // Duplicates per topic, exactly: the messages of the topic that were valid, minus those
        // that turned out new in the database.
        for (key, slice) in batch.partitions {
            // The worker subscribes to the contract's topics only (`WorkerSettings.topics`).
            guard let topic = Topic(rawValue: key.topic) else { continue }
            offered[topic, default: 0] += slice.sent + slice.duplicatesInBatch
        }
        for (topic, count) in offered {
            let applied = outcome.appliedByTopic[topic] ?? 0
            metrics.recordApplied(topic: topic, count: applied)
            metrics.recordDuplicates(topic: topic, count: count - applied)
        }
        for rejected in batch.rejected { metrics.recordRejection(reason: rejected.rejection.reason.rawValue) }
    }
}

extension RetryBackoff {
    /// Retries on a lane or the rebalance callback's thread: 50 ms doubling to 2 s, with jitter.
    static var lane: RetryBackoff { RetryBackoff(initial: .milliseconds(50), maximum: .seconds(2)) }
}
