import Foundation
import Kafka
import Logging
import OrderStreamCommon
import PostgreSQL

/// Watches the consumer group's control row for cutovers (LISTEN/NOTIFY, with polling as the
/// fallback because a notification is lost while a connection is down), keeps this worker's
/// row in `workers` alive, and measures the lag of the partitions this worker owns.
final class ControlWatcher: Sendable {
    /// The channel `orderstream cutover` notifies after moving ownership.
    static let channel = "orderstream_control"

    private let settings: WorkerSettings
    private let table: PartitionTable
    private let connection: PGConnection
    private let consumer: KafkaConsumer
    private let metrics: WorkerMetrics
    private let state: WorkerState
    private let logger: Logger
    private let stopSignal = StopSignal()
    private let lagMonitor: LagMonitor

    init(
        settings: WorkerSettings, table: PartitionTable, connection: PGConnection, consumer: KafkaConsumer,
        metrics: WorkerMetrics, state: WorkerState, logger: Logger
    ) {
        self.settings = settings
        self.table = table
        self.connection = connection
        self.consumer = consumer
        self.metrics = metrics
        self.state = state
        self.logger = logger
        lagMonitor = LagMonitor(
            settings: settings, table: table, connection: connection, consumer: consumer,
            metrics: metrics, state: state, logger: logger)
    }

    func requestStop() { stopSignal.raise() }

    func run(initial: PositionStore.Control) {
        var epoch = initial.epoch
        var activeColor = initial.activeColor
        var listening = false
        var lastLag = Date.distantPast
        var retry = RetryBackoff.constant(.milliseconds(500))
        while !stopSignal.isRaised {
            do {
                if !listening {
                    try connection.listen(Self.channel)
                    listening = true
                }
                _ = try connection.waitForNotifications(timeout: settings.controlPollInterval)
                if let control = try PositionStore.readControl(group: settings.group, on: connection),
                    control.epoch != epoch
                {
                    // A cutover moves the active color; an operator's offset reset, pause or
                    // resume bumps the epoch under the same color. Either way the positions
                    // changed under this worker's feet: every lane re-reads them.
                    logger.notice(
                        "epoch changed: re-reading positions",
                        metadata: [
                            WorkerLogKey.epoch: "\(control.epoch)",
                            WorkerLogKey.activeColor: "\(control.activeColor.rawValue)",
                        ])
                    epoch = control.epoch
                    if control.activeColor != activeColor { metrics.cutoversObserved.increment() }
                    activeColor = control.activeColor
                    table.requestRefreshAll()
                    state.update {
                        $0.active = control.activeColor == self.settings.color
                        $0.fencedAtEpoch = control.activeColor == self.settings.color ? nil : control.epoch
                    }
                }
                try heartbeat()
                state.update { $0.databaseUp = true }
            } catch {
                listening = false
                state.update { $0.databaseUp = false }
                logger.warning("control watch failed; retrying", metadata: [WorkerLogKey.error: "\(error)"])
                retry.sleep()
            }
            if Date().timeIntervalSince(lastLag) >= 5 {
                lastLag = Date()
                lagMonitor.measure()
                reportLastCutover()
            }
            metrics.publish(state)
        }
    }

    private func heartbeat() throws(PGError) {
        let phase = state.phase.rawValue
        let totals = metrics.totals
        _ = try connection.execute(
            """
            UPDATE workers SET heartbeat_at = now(), state = $2, apply_p99_seconds = $3, events_applied = $4,
                               events_dead_lettered = $5, batch_retries = $6, apply_failed = $7
            WHERE instance_id = $1
            """,
            [
                settings.instanceId, phase, metrics.recentApplyP99(at: Date().timeIntervalSince1970),
                totals.eventsApplied,
                totals.deadLettered, totals.batchRetries, totals.applyFailed,
            ])
    }

    /// The pause of the group's last completed cutover, for dashboards (`orderstream cutover`
    /// measures it and records it in the `cutovers` table).
    private func reportLastCutover() {
        guard
            let result = try? connection.query(
                """
                SELECT to_color, pause_seconds FROM cutovers
                WHERE consumer_group = $1 AND pause_seconds IS NOT NULL ORDER BY epoch DESC LIMIT 1
                """, [settings.group]), result.rowCount == 1,
            let color = try? result.color(0, "to_color"), let pause = try? result.double(0, "pause_seconds")
        else { return }
        metrics.setCutoverPause(toColor: color, seconds: pause)
    }
}
