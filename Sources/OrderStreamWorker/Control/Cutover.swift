import Foundation
import Kafka
import Logging
import OrderStreamCommon
import OrderStreamDomain
import PostgreSQL

/// The blue-green handover of one consumer group, driven from PostgreSQL:
///
/// 0. **Restore point.** A named PostgreSQL restore point (`pg_create_restore_point`) and the
///    WAL position, recorded with the cutover: point-in-time recovery can return to the moment
///    before it. A role that may not create one stops the cutover before anything changed,
///    unless `restorePoint` is false (then only the WAL position is recorded).
/// 1. **Fence.** One transaction bumps the group's epoch, makes the target color the owner of
///    every partition at that epoch, records the old color's last commit and notifies the
///    workers. From its commit on, every apply of the old color fails its compare-and-set. Its
///    row locks are bounded by `lock_timeout`; a session of the old color that holds them (a
///    frozen worker inside a transaction) is ended with `pg_terminate_backend`, found by its
///    `application_name`, and the fence is retried.
/// 2. **Wait.** Until the new color has committed on every partition that has pending events
///    (or the partition has none), then report the processing pause: the old color's last
///    commit to the new color's first.
/// 3. **Verify** (`CutoverVerification`): every partition has the new owner and epoch, and the
///    events accounted for since the fence equal the offsets the positions moved by; the
///    verdict is printed and stored with the cutover.
///
/// Calling it for the color that is already active changes nothing. Calling it back is the
/// rollback. Every call is blocking: run it on a dedicated thread.
public struct Cutover: Sendable {
    /// What a cutover did.
    public struct Report: Sendable, Equatable {
        public var group: String
        public var fromColor: DeploymentColor
        public var toColor: DeploymentColor
        public var epoch: Int64
        public var alreadyActive: Bool
        public var kind: Kind = .cutover
        /// The partitions the step moved (`orders[3]`), sorted.
        public var moved: [String] = []
        public var terminatedSessions: Int
        /// The restore point created before the fence (nil when asked not to create one).
        public var restorePoint: String? = nil
        /// The WAL position before the fence (`pg_lsn` text), when the cutover ran.
        public var walPosition: String? = nil
        /// The old color's last commit and the new color's first, when there was one.
        public var oldLastCommit: Date?
        public var newFirstCommit: Date?
        /// From the fence's commit until the new color had committed everywhere it had to.
        public var completionSeconds: Double
        /// The verification after the handover (nil when nothing was handed over).
        public var verification: CutoverVerification? = nil

        /// The processing pause: old color's last commit to new color's first commit.
        public var pauseSeconds: Double? {
            guard let old = oldLastCommit, let new = newFirstCommit else { return nil }
            return max(0, new.timeIntervalSince(old))
        }
    }

    /// Why a cutover did not complete; safe to print.
    public enum Failure: Error, Sendable, CustomStringConvertible {
        case unknownGroup(String)
        case invalidColor(String)
        case timedOut(epoch: Int64, waitingFor: [String])
        /// Live workers of the target color run a binary that cannot run against the schema
        /// (a migration newer than they know declared older releases incompatible).
        case incompatibleColor(color: DeploymentColor, workers: [String])
        /// The restore point could not be created (the role may not, or `wal_level` is minimal).
        case restorePointRefused(String)
        /// A canary must go to the standby color.
        case canaryToActiveColor(DeploymentColor)
        case database(PGError)

        public var description: String {
            switch self {
            case .unknownGroup(let group):
                return "no worker of group \(group) has ever started, so there is nothing to cut over"
            case .invalidColor(let color):
                return "'\(color)' is not a color (blue or green)"
            case .timedOut(let epoch, let partitions):
                return "epoch \(epoch) is fenced in, but the new color has not yet committed on "
                    + "\(partitions.count) partition(s) with pending events: \(partitions.prefix(12).joined(separator: ", "))"
                    + " (are its workers running and ready? `orderstream cutover --to <old color>` rolls back)"
            case .incompatibleColor(let color, let workers):
                return "\(color) cannot take over: its binary cannot run against the schema: "
                    + workers.joined(separator: "; ")
                    + " (deploy a release that knows these migrations to \(color) first)"
            case .restorePointRefused(let reason):
                return "cannot create a restore point before the fence (\(reason)); nothing was changed. Grant "
                    + "EXECUTE ON FUNCTION pg_create_restore_point(text) to this role, or pass --no-restore-point "
                    + "to cut over with only the WAL position recorded"
            case .canaryToActiveColor(let color):
                return "\(color) is the active color: a canary moves partitions to the standby color"
            case .database(let error):
                return "database: \(error)"
            }
        }
    }

    /// Which partitions a step moves.
    public enum Scope: Sendable, Equatable {
        /// Every partition; the target becomes the active color (a full cutover, a promotion).
        case all
        /// A canary: these partitions go to the target (the standby color); the active color stays.
        case partitions([TopicPartition])
        /// The partitions a canary gave the standby color go back to the active color (the
        /// target is ignored).
        case abort

        var kind: Kind {
            switch self {
            case .all: .cutover
            case .partitions: .canary
            case .abort: .abort
            }
        }
    }

    public var group: String
    /// The color that receives the partitions; nil only for an abort, which goes back to the
    /// active color (an abort ignores it in any case).
    public var toColor: DeploymentColor?
    /// What this step moves (default: everything).
    public var scope: Scope = .all
    public var timeout: Duration
    /// Create a named restore point before the fence (else record only the WAL position).
    public var restorePoint = true
    /// How long the fence waits for a row lock before ending the sessions that hold it.
    public var lockTimeout: Duration = .seconds(1)
    public var logger: Logger

    public init(group: String, toColor: DeploymentColor?, timeout: Duration, logger: Logger) {
        self.group = group
        self.toColor = toColor
        self.timeout = timeout
        self.logger = logger
    }

    /// Runs the cutover. `highWatermark` answers a partition's high watermark (nil when unknown).
    public func run(on connection: PGConnection, highWatermark: (TopicPartition) -> Int64?) throws(Failure) -> Report {
        guard scope == .abort || toColor != nil else { throw .invalidColor("") }
        let started = Date()
        let row: PositionStore.Control?
        do {
            row = try PositionStore.readControl(group: group, on: connection)
        } catch {
            throw .database(error)
        }
        guard let control = row else { throw .unknownGroup(group) }
        // An abort goes back to the active color; every other step names its target.
        guard let target = scope == .abort ? control.activeColor : toColor else { throw .invalidColor("") }
        if scope.kind == .canary && control.activeColor == target { throw .canaryToActiveColor(target) }
        let elsewhere: Int64
        do {
            elsewhere = try connection.query(
                "SELECT count(*)::bigint AS n FROM partition_positions WHERE consumer_group = $1 AND owner_color <> $2",
                [group, target.rawValue]
            ).int64(0, "n")
        } catch {
            throw .database(error)
        }
        // Nothing to move: the target color is active and owns every partition (no canary out).
        if scope.kind != .canary && control.activeColor == target && elsewhere == 0 {
            return Report(
                group: group, fromColor: target, toColor: target, epoch: control.epoch, alreadyActive: true,
                kind: scope.kind, terminatedSessions: 0, completionSeconds: 0)
        }
        return try hand(over: control, to: target, on: connection, started: started, highWatermark: highWatermark)
    }

    /// The step itself: `toColor` receives the partitions.
    private func hand(
        over control: PositionStore.Control, to toColor: DeploymentColor, on connection: PGConnection, started: Date,
        highWatermark: (TopicPartition) -> Int64?
    ) throws(Failure) -> Report {
        let fromColor = scope == .abort ? toColor.other : control.activeColor
        try refuseIncompatibleColor(toColor, on: connection)
        let marker = try markRestorePoint(epoch: control.epoch + 1, on: connection)
        let fence = try fenceIn(from: fromColor, to: toColor, on: connection, started: started)
        let fencedAt = Date()
        do {
            _ = try connection.execute(
                "UPDATE cutovers SET restore_point = $3, wal_lsn = $4::pg_lsn WHERE consumer_group = $1 AND epoch = $2",
                [group, fence.epoch, marker.name, marker.lsn])
        } catch {
            throw .database(error)
        }
        let newFirst = try waitForNewColor(
            epoch: fence.epoch, only: Set(fence.moved), on: connection, highWatermark: highWatermark)
        let completion = Date().timeIntervalSince(fencedAt)
        do {
            let verification = CutoverVerification(
                notOwned: try CutoverVerification.notOwned(
                    group: group, color: toColor, epoch: fence.epoch,
                    among: fence.moved.map(\.description), on: connection),
                atFence: fence.ledger, now: try CutoverVerification.Ledger.read(group: group, on: connection))
            let report = Report(
                group: group, fromColor: fromColor, toColor: toColor, epoch: fence.epoch, alreadyActive: false,
                kind: scope.kind, moved: fence.moved.map(\.description), terminatedSessions: fence.terminated,
                restorePoint: marker.name, walPosition: marker.lsn,
                oldLastCommit: fence.oldLastCommit, newFirstCommit: newFirst, completionSeconds: completion,
                verification: verification)
            _ = try connection.execute(
                """
                UPDATE cutovers SET completed_at = now(), new_first_commit = $3, pause_seconds = $4, verified = $5,
                                    verdict = $6
                WHERE consumer_group = $1 AND epoch = $2
                """,
                [
                    group, fence.epoch, newFirst.map(Self.timestampText), report.pauseSeconds, verification.verified,
                    verification.verdict(color: toColor, epoch: fence.epoch),
                ])
            if !verification.verified {
                logger.critical(
                    "cutover verification failed",
                    metadata: [
                        WorkerLogKey.verdict: "\(verification.verdict(color: toColor, epoch: fence.epoch))"
                    ])
            }
            return report
        } catch {
            throw .database(error)
        }
    }

    // MARK: restore point

    /// `orderstream-<group>-epoch-<n>-<UTC time>`, at most 63 bytes (PostgreSQL's limit).
    func restorePointName(epoch: Int64, at date: Date) -> String {
        var name = "orderstream-\(group)-epoch-\(epoch)-\(Self.compactTimestamp(date))"
        while name.utf8.count > 63 { name.removeFirst() }
        return name
    }

    private static func compactTimestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withYear, .withMonth, .withDay, .withTime, .withTimeZone]
        return formatter.string(from: date).replacingOccurrences(of: ":", with: "").replacingOccurrences(
            of: "-", with: "")
    }

    /// Creates the restore point (or, when not asked to, reads the WAL position only).
    private func markRestorePoint(
        epoch: Int64, on connection: PGConnection
    ) throws(Failure) -> (name: String?, lsn: String) {
        guard restorePoint else {
            do {
                return (nil, try connection.query("SELECT pg_current_wal_lsn()::text AS lsn").string(0, "lsn"))
            } catch {
                throw .database(error)
            }
        }
        let name = restorePointName(epoch: epoch, at: Date())
        do {
            let lsn = try connection.query("SELECT pg_create_restore_point($1)::text AS lsn", [name]).string(0, "lsn")
            logger.notice(
                "restore point created",
                metadata: [WorkerLogKey.restorePoint: "\(name)", WorkerLogKey.walLSN: "\(lsn)"])
            return (name, lsn)
        } catch {
            // 42501: the role may not; 55000: wal_level is minimal (no restore points possible).
            if error.sqlState == "42501" || error.sqlState == "55000" { throw .restorePointRefused(error.message) }
            throw .database(error)
        }
    }

    // MARK: schema compatibility

    /// Refuses before anything changes when a live worker of the new color runs a binary that
    /// does not know a migration that declared older releases incompatible (expand/contract).
    private func refuseIncompatibleColor(_ toColor: DeploymentColor, on connection: PGConnection) throws(Failure) {
        do {
            let schema = try SchemaCompatibility.read(on: connection)
            let workers = try SchemaCompatibility.runningWorkers(group: group, color: toColor, on: connection)
            let problems = workers.compactMap { worker -> String? in
                let blockers = schema.blockers(for: worker)
                guard !blockers.isEmpty else { return nil }
                return "worker \(worker.instanceId) (release \(worker.release ?? "before 0.2.0"), migrations up to "
                    + "\(worker.knownMigration)) cannot run against migration "
                    + blockers.map(\.needs).joined(separator: ", ")
            }
            if !problems.isEmpty { throw Failure.incompatibleColor(color: toColor, workers: problems) }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .database(PGError(wrapping: error))
        }
    }

    // MARK: fence

    private struct Fence {
        var epoch: Int64
        /// The partitions that changed owner.
        var moved: [TopicPartition]
        var oldLastCommit: Date?
        var terminated: Int
        /// The group's accounting as the fence committed it (same transaction).
        var ledger: CutoverVerification.Ledger
    }

    private func fenceIn(
        from oldColor: DeploymentColor, to toColor: DeploymentColor, on connection: PGConnection, started: Date
    ) throws(Failure) -> Fence {
        var terminated = 0
        var attempt = 0
        while true {
            attempt += 1
            do {
                let fence = try connection.transaction { (connection) throws(PGError) -> Fence in
                    _ = try connection.execute("SET LOCAL lock_timeout = '\(Int(lockTimeout.seconds * 1000))ms'")
                    // A full cutover changes the active color; a canary and an abort keep it.
                    let bumped = try connection.query(
                        """
                        UPDATE consumer_control SET active_color = CASE WHEN $3 THEN $2 ELSE active_color END,
                                                    epoch = epoch + 1, changed_at = now()
                        WHERE consumer_group = $1 RETURNING epoch
                        """, [group, toColor.rawValue, scope == .all])
                    let epoch = try bumped.int64(0, "epoch")
                    let moved = try moveOwnership(to: toColor, at: epoch, on: connection)
                    let last = try connection.query(
                        """
                        SELECT to_char(max(last_commit_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS last
                        FROM partition_positions
                        WHERE consumer_group = $1 AND (topic || '[' || partition || ']') = ANY($2::text[])
                        """, [group, moved.map(\.description)])
                    let oldLast = try last.decodeIfPresent(String.self, row: 0, column: "last")
                    _ = try connection.execute(
                        """
                        INSERT INTO cutovers (consumer_group, epoch, from_color, to_color, started_at, fenced_at,
                                              old_last_commit, terminated_sessions, kind, partitions)
                        VALUES ($1, $2, $3, $4, $5::timestamptz, clock_timestamp(), $6::timestamptz, $7, $8, $9::text[])
                        """,
                        [
                            group, epoch, oldColor.rawValue, toColor.rawValue, Self.timestampText(started), oldLast,
                            terminated, scope.kind.rawValue,
                            scope == .all ? nil : moved.map(\.description),
                        ])
                    _ = try connection.execute("SELECT pg_notify($1, $2)", [ControlWatcher.channel, group])
                    return Fence(
                        epoch: epoch, moved: moved, oldLastCommit: oldLast.flatMap(Self.parseTimestamp),
                        terminated: terminated,
                        ledger: try CutoverVerification.Ledger.read(group: group, on: connection))
                }
                logger.notice(
                    "cutover fenced in",
                    metadata: [
                        WorkerLogKey.group: "\(group)", WorkerLogKey.to: "\(toColor.rawValue)",
                        WorkerLogKey.epoch: "\(fence.epoch)", WorkerLogKey.attempt: "\(attempt)",
                    ])
                return fence
            } catch  where error.kind == .lockNotAvailable || error.kind == .deadlockDetected {
                // A session holds the position rows: a frozen worker of the old color.
                terminated += try terminateLockHolders(color: oldColor, on: connection)
                if attempt >= 10 { throw .database(error) }
            } catch {
                throw .database(error)
            }
        }
    }

    /// Gives the scope's partitions to `toColor` at `epoch`; returns those that moved.
    private func moveOwnership(
        to toColor: DeploymentColor, at epoch: Int64, on connection: PGConnection
    ) throws(PGError) -> [TopicPartition] {
        let result: PGResult
        switch scope {
        case .all:
            result = try connection.query(
                "UPDATE partition_positions SET owner_color = $2, epoch = $3 WHERE consumer_group = $1 RETURNING topic, partition",
                [group, toColor.rawValue, epoch])
        case .partitions(let partitions):
            result = try connection.query(
                """
                UPDATE partition_positions p SET owner_color = $2, epoch = $3
                FROM unnest($4::text[], $5::integer[]) AS t(topic, part)
                WHERE p.consumer_group = $1 AND p.topic = t.topic AND p.partition = t.part
                RETURNING p.topic, p.partition
                """, [group, toColor.rawValue, epoch, partitions.map(\.topic), partitions.map(\.partition)])
        case .abort:
            result = try connection.query(
                """
                UPDATE partition_positions SET owner_color = $2, epoch = $3
                WHERE consumer_group = $1 AND owner_color <> $2 RETURNING topic, partition
                """, [group, toColor.rawValue, epoch])
        }
        var moved: [TopicPartition] = []
        for row in 0..<result.rowCount {
            moved.append(
                TopicPartition(topic: try result.string(row, "topic"), partition: try result.int32(row, "partition")))
        }
        return moved.sorted()
    }

    /// Ends the sessions of `color`'s workers that hold write locks on the position rows.
    private func terminateLockHolders(color: DeploymentColor, on connection: PGConnection) throws(Failure) -> Int {
        let pattern = "orderstream:\(Self.escapeLike(group)):\(color.rawValue):%"
        do {
            let result = try connection.query(
                """
                SELECT a.pid, a.application_name, pg_terminate_backend(a.pid) AS terminated
                FROM pg_stat_activity a
                WHERE a.application_name LIKE $1 AND a.pid <> pg_backend_pid()
                  AND a.pid IN (SELECT l.pid FROM pg_locks l
                                WHERE l.relation = 'partition_positions'::regclass AND l.mode = 'RowExclusiveLock')
                """, [pattern])
            for row in 0..<result.rowCount {
                let pid = try result.int32(row, "pid")
                let name = try result.string(row, "application_name")
                logger.warning(
                    "ended a session of the old color that held the position rows",
                    metadata: [
                        WorkerLogKey.pid: "\(pid)", WorkerLogKey.applicationName: "\(name)",
                    ])
            }
            return result.rowCount
        } catch {
            throw .database(error)
        }
    }

    // MARK: wait

    /// Waits until every partition either has a commit under `epoch` or nothing pending; returns
    /// the new color's first commit.
    private func waitForNewColor(
        epoch: Int64, only moved: Set<TopicPartition>, on connection: PGConnection,
        highWatermark: (TopicPartition) -> Int64?
    ) throws(Failure) -> Date? {
        let deadline = Date().addingTimeInterval(timeout.seconds)
        while true {
            var waiting: [String] = []
            var first: Date?
            do {
                let rows = try connection.query(
                    """
                    SELECT topic, partition, next_offset, last_commit_epoch, paused,
                           to_char(epoch_first_commit_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS first
                    FROM partition_positions WHERE consumer_group = $1
                    """, [group])
                for row in 0..<rows.rowCount {
                    let partition = TopicPartition(
                        topic: try rows.string(row, "topic"), partition: try rows.int32(row, "partition"))
                    guard moved.contains(partition) else { continue }
                    let committedUnderEpoch =
                        try rows.decodeIfPresent(Int64.self, row: row, column: "last_commit_epoch") == epoch
                    if committedUnderEpoch {
                        if let text = try rows.decodeIfPresent(String.self, row: row, column: "first"),
                            let date = Self.parseTimestamp(text)
                        {
                            first = min(first ?? date, date)
                        }
                        continue
                    }
                    // A paused partition commits nothing until it is resumed: nothing to wait for.
                    if try rows.bool(row, "paused") { continue }
                    let position = try rows.int64(row, "next_offset")
                    if let high = highWatermark(partition), position >= high { continue }
                    waiting.append(partition.description)
                }
            } catch {
                throw .database(error)
            }
            if waiting.isEmpty { return first }
            if Date() >= deadline { throw .timedOut(epoch: epoch, waitingFor: waiting.sorted()) }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    // MARK: helpers

    static func escapeLike(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
    }

    static func timestampText(_ date: Date) -> String {
        RFC3339.formatMillis(Int64((date.timeIntervalSince1970 * 1_000_000).rounded()))
    }

    static func parseTimestamp(_ text: String) -> Date? {
        guard let micros = RFC3339.parseMicros(text) else { return nil }
        return Date(timeIntervalSince1970: Double(micros) / 1_000_000)
    }
}
