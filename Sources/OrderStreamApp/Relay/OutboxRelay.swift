import Foundation
import Logging
import OrderStreamCommon
import OrderStreamDomain
import OrderStreamPublisher
import PostgreSQL
import ServiceLifecycle
import Synchronization

/// `orderstream relay`: publishes the rows of a service's outbox table (see `OutboxSchema`)
/// through `EventPublisher`, marks each row only after the broker acknowledged it, parks rows
/// the contract rejects, wakes on NOTIFY and polls as a fallback.
final class OutboxRelay: Service, Sendable {
    struct Settings: Sendable {
        var databaseURL: String
        var table: String
        var batchSize: Int
        var pollInterval: Duration
        var statsInterval: Duration = .seconds(1)
        var applicationName: String
    }

    struct Health: Sendable {
        var databaseUp = false
        var kafkaUp = true
        var lastError: String?
        /// When the current batch started waiting for its acknowledgements, and how many.
        var waitingSince: ContinuousClock.Instant?
        var waitingCount = 0
    }

    /// A batch waiting longer than this for the broker makes the relay not ready (librdkafka
    /// reports a broker that stopped answering only after its reconnect attempts fail).
    static let acknowledgementStall: Duration = .seconds(5)

    private let settings: Settings
    private let publisher: EventPublisher
    private let metrics: RelayMetrics
    private let logger: Logger
    private let health = Mutex(Health())

    init(settings: Settings, publisher: EventPublisher, metrics: RelayMetrics, logger: Logger) {
        self.settings = settings
        self.publisher = publisher
        self.metrics = metrics
        self.logger = logger
    }

    /// Ready: the last PostgreSQL call succeeded and Kafka acknowledged the last delivery (and
    /// librdkafka does not report every broker down). The reasons when not.
    func readiness() -> (ready: Bool, reasons: [String]) {
        let health = health.withLock { $0 }
        var reasons: [String] = []
        if !health.databaseUp { reasons.append("PostgreSQL is unreachable") }
        if !health.kafkaUp || !publisher.isBrokerReachable {
            reasons.append("Kafka is unreachable")
        } else if let since = health.waitingSince, ContinuousClock.now - since > Self.acknowledgementStall {
            let seconds = Int((ContinuousClock.now - since).components.seconds)
            reasons.append("Kafka is not acknowledging: \(health.waitingCount) events waiting for \(seconds) s")
        }
        metrics.ready.set(to: reasons.isEmpty ? 1 : 0)
        return (reasons.isEmpty, reasons)
    }

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.sampleStats() }
            group.addTask { await self.relayLoop() }
            await group.next()
            group.cancelAll()
        }
        await publisher.close()
    }

    private var stopping: Bool { Task.isCancelled || Task.isShuttingDownGracefully }

    private func setDatabase(up: Bool, error: (any Error)? = nil) {
        health.withLock {
            $0.databaseUp = up; if let error { $0.lastError = "\(error)" }
        }
        metrics.databaseUp.set(to: up ? 1 : 0)
    }

    /// Pending rows and the age of the oldest, on a session of its own.
    private func sampleStats() async {
        var connection: PGConnection?
        while !stopping {
            do {
                if connection == nil {
                    connection = try await PGConnection.connect(
                        try PGConnectionConfiguration(settings.databaseURL).withApplicationName(
                            settings.applicationName + ":stats"),
                        logger: logger)
                }
                if let connection {
                    let stats = try await connection.query(OutboxSchema.pendingStats(settings.table))
                    metrics.pending.set(to: Double(try stats.int64(0, "pending")))
                    metrics.oldestAge.set(to: try stats.double(0, "oldest_age"))
                }
            } catch {
                logger.warning("relay: cannot read the outbox statistics: \(error)")
                connection?.close()
                connection = nil
            }
            _ = readiness()
            try? await Task.sleep(for: settings.statsInterval)
        }
        connection?.close()
    }

    private func relayLoop() async {
        var connection: PGConnection?
        var backoff = RetryBackoff(initial: .milliseconds(200), maximum: .seconds(2))
        var reconnect = RetryBackoff.constant(.seconds(1))
        while !stopping {
            do {
                if connection == nil {
                    let c = try await PGConnection.connect(
                        try PGConnectionConfiguration(settings.databaseURL).withApplicationName(
                            settings.applicationName),
                        logger: logger)
                    try await c.listen(OutboxSchema.channel(settings.table))
                    connection = c
                }
                guard let c = connection else { continue }
                setDatabase(up: true)
                let outcome = try await relayBatch(on: c)
                if outcome.undelivered > 0 {
                    // The broker did not take everything: those rows stay pending, retried soon.
                    await backoff.sleepAsync()
                    continue
                }
                backoff.reset()
                if outcome.claimed < settings.batchSize {
                    // Caught up (or the rest is held by other relays): sleep until a commit
                    // notifies us or the poll interval passes.
                    _ = try await c.waitForNotifications(timeout: settings.pollInterval)
                }
            } catch {
                setDatabase(up: false, error: error)
                logger.warning("relay: PostgreSQL failed, retrying: \(error)")
                connection?.close()
                connection = nil
                await reconnect.sleepAsync()
            }
        }
        connection?.close()
    }

    private struct BatchOutcome {
        var claimed = 0
        var undelivered = 0
    }

    private struct SendOutcome: Sendable {
        let id: Int64
        let delivered: Bool
        let error: String?
    }

    private static func sendOne(_ publisher: EventPublisher, _ event: OutgoingEvent, id: Int64) async -> SendOutcome {
        do {
            _ = try await publisher.send(event)
            return SendOutcome(id: id, delivered: true, error: nil)
        } catch {
            return SendOutcome(id: id, delivered: false, error: "\(error)")
        }
    }

    private struct Row: Sendable {
        let id: Int64
        let eventId: String
        let orderId: String
        let topic: String
        let payload: String
    }

    /// One transaction: claim the heads, park the invalid ones, publish the rest and wait for
    /// every acknowledgement, mark the acknowledged ones, commit.
    private func relayBatch(on connection: PGConnection) async throws -> BatchOutcome {
        let table = settings.table
        try await connection.execute("BEGIN")
        do {
            let result = try await connection.query(OutboxSchema.claimHeads(table), [settings.batchSize])
            var rows: [Row] = []
            rows.reserveCapacity(result.rowCount)
            for index in 0..<result.rowCount {
                rows.append(
                    Row(
                        id: try result.int64(index, 0), eventId: try result.string(index, 1),
                        orderId: try result.string(index, 2), topic: try result.string(index, 3),
                        payload: try result.string(index, 4)))
            }
            var outcome = BatchOutcome(claimed: rows.count)
            if rows.isEmpty {
                try await connection.execute("COMMIT")
                return outcome
            }
            var parked: [(id: Int64, reason: String, detail: String)] = []
            var toSend: [(Row, OutgoingEvent)] = []
            for row in rows {
                let event = OutgoingEvent(
                    topic: row.topic, key: row.orderId, value: Array(row.payload.utf8), eventId: row.eventId)
                if case .invalid(_, let reason, let detail)? = EventPublisher.check(event) {
                    parked.append((row.id, reason.rawValue, detail))
                } else {
                    toSend.append((row, event))
                }
            }
            let publisher = self.publisher
            // Each child reports (row id, delivered?, error text). Plain values only: returning a
            // tuple holding a `Result<Delivery, PublishError>` from the children gave garbage row
            // ids in the release build (Swift 6.3, -O; the debug build was right), measured.
            health.withLock {
                $0.waitingSince = .now; $0.waitingCount = toSend.count
            }
            defer {
                health.withLock {
                    $0.waitingSince = nil; $0.waitingCount = 0
                }
            }
            let results = await withTaskGroup(of: SendOutcome.self) { group in
                for (row, event) in toSend {
                    let id = row.id
                    group.addTask { await Self.sendOne(publisher, event, id: id) }
                }
                var all: [SendOutcome] = []
                all.reserveCapacity(toSend.count)
                for await result in group { all.append(result) }
                return all
            }
            var delivered: [Int64] = []
            var lastError: String?
            for result in results {
                if result.delivered { delivered.append(result.id) } else { lastError = result.error }
            }
            outcome.undelivered = toSend.count - delivered.count
            if !delivered.isEmpty {
                let marked = try await connection.execute(OutboxSchema.markPublished(table), [delivered])
                if marked != delivered.count {
                    logger.error(
                        "relay: marked \(marked) of \(delivered.count) delivered rows; claimed \(rows.count), first ids \(delivered.sorted().prefix(5))"
                    )
                }
            }
            if !parked.isEmpty {
                try await connection.execute(
                    OutboxSchema.park(table), [parked.map(\.id), parked.map(\.reason), parked.map(\.detail)])
            }
            try await connection.execute("COMMIT")
            metrics.batches.increment()
            metrics.published.increment(by: Int64(delivered.count))
            for row in parked {
                metrics.recordParked(reason: row.reason)
                logger.warning("relay: parked outbox row \(row.id) (\(row.reason)): \(row.detail)")
            }
            if let lastError {
                metrics.deliveryFailures.increment(by: Int64(outcome.undelivered))
                logger.warning("relay: \(outcome.undelivered) rows not delivered, retrying: \(lastError)")
            }
            health.withLock { $0.kafkaUp = lastError == nil }
            metrics.kafkaUp.set(to: lastError == nil && publisher.isBrokerReachable ? 1 : 0)
            return outcome
        } catch {
            _ = try? await connection.execute("ROLLBACK")
            throw error
        }
    }
}
