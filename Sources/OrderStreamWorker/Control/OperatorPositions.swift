import Foundation
import Kafka
import OrderStreamDomain
import PostgreSQL

/// The operator's hand on positions: `offsets reset`, `pause` and `resume`.
///
/// Each change is one transaction that fences like a cutover: it locks the group's control row,
/// bumps the group's epoch (same active color), writes the changed partitions under the new epoch
/// with the apply statement's compare-and-set (position and epoch as read under lock), records the
/// command in `operations`, and notifies the workers. A batch a worker has in flight on a changed
/// partition carries the old epoch, so its commit fails its compare-and-set and the lane re-reads
/// the position; the notification (or the control poll) makes every lane re-read at once.
public enum OperatorPositions {
    /// A partition's row as operators see it.
    public struct Row: Sendable, Equatable {
        public var partition: TopicPartition
        public var nextOffset: Int64
        public var ownerColor: DeploymentColor
        public var epoch: Int64
        public var paused: Bool
        public var pausedAt: String?
        public var pausedBy: String?
        public var lastCommitAt: String?
        public var lastCommitBy: String?
    }

    /// Who asked, and how (for the audit).
    public struct Request: Sendable {
        public var group: String
        public var actor: String
        public var command: String
        public var arguments: String
        public var dryRun: Bool

        public init(group: String, actor: String, command: String, arguments: String, dryRun: Bool = false) {
            self.group = group
            self.actor = actor
            self.command = command
            self.arguments = arguments
            self.dryRun = dryRun
        }
    }

    /// What a change did: the epoch it was fenced in under (nil when nothing changed or a dry
    /// run), and the audit entry's id.
    public struct Outcome<Detail: Sendable & Equatable>: Sendable, Equatable {
        public var detail: Detail
        public var epoch: Int64?
        public var operationId: Int64?
    }

    public enum Failure: PGTransactionFailure, CustomStringConvertible {
        case unknownGroup(String)
        case noPartitions(group: String, topic: String, partition: Int32?)
        case plan(OffsetResetPlan.Failure)
        case raced(String)
        /// Another session held the position rows longer than the lock timeout.
        case locked
        case database(PGError)

        public var description: String {
            switch self {
            case .unknownGroup(let group):
                "consumer group \(group) has never run (no control row): nothing to change"
            case .noPartitions(let group, let topic, let partition):
                "group \(group) has no position for \(partition.map { "\(topic)[\($0)]" } ?? "any partition of \(topic)")"
                    + " (no worker has consumed it yet)"
            case .plan(let failure): "\(failure)"
            case .raced(let what): "a position changed while it was locked (\(what)): nothing was changed"
            case .locked:
                "another session held the position rows for over 5 s (a frozen worker inside a transaction?): "
                    + "nothing was changed; try again (a cutover ends such sessions)"
            case .database(let error): "PostgreSQL: \(error)"
            }
        }
    }

    // MARK: reading

    /// The group's rows of `topic` (every topic when nil) and `partition` (every one when nil);
    /// `lock` takes their row locks for the rest of the transaction.
    public static func rows(
        group: String, topic: String? = nil, partition: Int32? = nil, lock: Bool = false,
        on connection: PGConnection
    ) throws(PGError) -> [Row] {
        let result = try connection.query(
            """
            SELECT topic, partition, next_offset, owner_color, epoch, paused,
                   \(timestamp("paused_at")) AS paused_at, paused_by,
                   \(timestamp("last_commit_at")) AS last_commit_at, last_commit_by
            FROM partition_positions
            WHERE consumer_group = $1 AND ($2::text IS NULL OR topic = $2) AND ($3::integer IS NULL OR partition = $3)
            ORDER BY topic, partition\(lock ? " FOR UPDATE" : "")
            """, [group, topic, partition])
        var rows: [Row] = []
        for row in 0..<result.rowCount {
            rows.append(
                Row(
                    partition: TopicPartition(
                        topic: try result.string(row, "topic"), partition: try result.int32(row, "partition")),
                    nextOffset: try result.int64(row, "next_offset"), ownerColor: try result.color(row, "owner_color"),
                    epoch: try result.int64(row, "epoch"), paused: try result.bool(row, "paused"),
                    pausedAt: try result.decodeIfPresent(String.self, row: row, column: "paused_at"),
                    pausedBy: try result.decodeIfPresent(String.self, row: row, column: "paused_by"),
                    lastCommitAt: try result.decodeIfPresent(String.self, row: row, column: "last_commit_at"),
                    lastCommitBy: try result.decodeIfPresent(String.self, row: row, column: "last_commit_by")))
        }
        return rows
    }

    // MARK: changing

    /// Moves the positions of `partitions` as `target` says. `watermarks` (and, for a time,
    /// `timeOffsets`) come from Kafka before the call; the positions are read under lock, so a
    /// shift is relative to the position at the moment of the change.
    public static func reset(
        _ partitions: [TopicPartition], to target: OffsetResetPlan.Target, request: Request,
        watermarks: [TopicPartition: KafkaWatermarks], timeOffsets: [TopicPartition: Int64] = [:],
        on connection: PGConnection
    ) throws(Failure) -> Outcome<OffsetResetPlan> {
        try change(request, on: connection) { (locked) throws(Failure) in
            let plan: OffsetResetPlan
            switch OffsetResetPlan.plan(
                target, partitions: partitions, positions: locked.rows.mapValues(\.nextOffset),
                watermarks: watermarks, timeOffsets: timeOffsets)
            {
            case .success(let made): plan = made
            case .failure(let failure): throw .plan(failure)
            }
            let moving = plan.moves.filter { $0.delta != 0 }
            guard !request.dryRun, !moving.isEmpty else {
                return Change(detail: plan, changed: [], result: moving.isEmpty ? "nothing to move" : "dry run")
            }
            let updated = try run(locked.connection) { (connection) throws(PGError) in
                try connection.execute(
                    """
                    UPDATE partition_positions p
                    SET next_offset = v.to_offset, epoch = $2,
                        offsets_moved_by_operators = p.offsets_moved_by_operators + (v.to_offset - v.from_offset)
                    FROM unnest($3::text[], $4::integer[], $5::bigint[], $6::bigint[], $7::bigint[])
                         AS v(topic, part, from_offset, to_offset, seen_epoch)
                    WHERE p.consumer_group = $1 AND p.topic = v.topic AND p.partition = v.part
                      AND p.next_offset = v.from_offset AND p.epoch = v.seen_epoch
                    """,
                    [
                        request.group, locked.newEpoch, moving.map(\.partition.topic),
                        moving.map(\.partition.partition),
                        moving.map(\.from), moving.map(\.to), moving.map { locked.rows[$0.partition]!.epoch },
                    ])
            }
            guard updated == moving.count else { throw .raced("\(updated) of \(moving.count) rows matched") }
            let skipped = moving.map(\.delta).filter { $0 > 0 }.reduce(0, +)
            let reread = -moving.map(\.delta).filter { $0 < 0 }.reduce(0, +)
            return Change(
                detail: plan, changed: moving.map(\.partition),
                result: "moved \(moving.count) partition(s): \(skipped) event(s) skipped, \(reread) to be read again",
                json: resetDetail(moving))
        }
    }

    /// Pauses (or resumes) `partitions`. Returns the partitions whose state changed.
    public static func setPaused(
        _ paused: Bool, _ partitions: [TopicPartition], request: Request,
        on connection: PGConnection
    ) throws(Failure) -> Outcome<[TopicPartition]> {
        try change(request, on: connection) { (locked) throws(Failure) in
            let changing = partitions.sorted().filter { locked.rows[$0]?.paused != paused }
            if let missing = partitions.first(where: { locked.rows[$0] == nil }) {
                throw .noPartitions(group: request.group, topic: missing.topic, partition: missing.partition)
            }
            let verb = paused ? "paused" : "resumed"
            guard !request.dryRun, !changing.isEmpty else {
                return Change(
                    detail: changing, changed: [],
                    result: changing.isEmpty ? "nothing to do: already \(verb)" : "dry run")
            }
            let updated = try run(locked.connection) { (connection) throws(PGError) in
                try connection.execute(
                    """
                    UPDATE partition_positions p
                    SET paused = $3, epoch = $2,
                        paused_at = CASE WHEN $3 THEN now() END, paused_by = CASE WHEN $3 THEN $4 END
                    FROM unnest($5::text[], $6::integer[], $7::bigint[]) AS v(topic, part, seen_epoch)
                    WHERE p.consumer_group = $1 AND p.topic = v.topic AND p.partition = v.part
                      AND p.epoch = v.seen_epoch AND p.paused <> $3
                    """,
                    [
                        request.group, locked.newEpoch, paused, request.actor, changing.map(\.topic),
                        changing.map(\.partition),
                        changing.map { locked.rows[$0]!.epoch },
                    ])
            }
            guard updated == changing.count else { throw .raced("\(updated) of \(changing.count) rows matched") }
            return Change(
                detail: changing, changed: changing, result: "\(verb) \(changing.count) partition(s)",
                json: "{\"partitions\":[\(changing.map { "\"\($0)\"" }.joined(separator: ","))]}")
        }
    }

    // MARK: the fenced transaction

    /// The state `body` sees: every position row of the group, locked, and the epoch the change
    /// will be written under.
    struct Locked {
        let connection: PGConnection
        let rows: [TopicPartition: Row]
        let newEpoch: Int64
    }

    /// What `body` did: the partitions it changed. When none changed (nothing to do, a dry run)
    /// the transaction writes nothing, not even an audit entry; a refusal rolls back.
    struct Change<Detail> {
        var detail: Detail
        var changed: [TopicPartition]
        var result: String
        var json = "{}"
    }

    /// Runs the change, again (three attempts in all) when PostgreSQL broke a deadlock with a
    /// lane's apply statement by aborting this transaction (40P01), which changed nothing.
    private static func change<Detail: Sendable & Equatable>(
        _ request: Request, on connection: PGConnection, _ body: (Locked) throws(Failure) -> Change<Detail>
    ) throws(Failure) -> Outcome<Detail> {
        var attempt = 1
        while true {
            do {
                return try changeOnce(request, on: connection, body)
            } catch .database(let error) where error.sqlState == "40P01" && attempt < 3 {
                attempt += 1
            }
        }
    }

    private static func changeOnce<Detail: Sendable & Equatable>(
        _ request: Request, on connection: PGConnection, _ body: (Locked) throws(Failure) -> Change<Detail>
    ) throws(Failure) -> Outcome<Detail> {
        do {
            return try connection.transaction { (connection) throws(Failure) -> Outcome<Detail> in
                // Bounded: a frozen worker that holds the rows must not hang an operator's command.
                let locked = try run(connection) { (connection) throws(PGError) -> (epoch: Int64, rows: [Row])? in
                    _ = try connection.execute("SET LOCAL lock_timeout = '5s'")
                    let control = try connection.query(
                        "SELECT epoch FROM consumer_control WHERE consumer_group = $1 FOR UPDATE", [request.group])
                    guard control.rowCount == 1 else { return nil }
                    // Every row of the group, in the order the apply statement locks them: what a
                    // lane has in flight commits first, and nothing moves until this commits.
                    return (
                        try control.int64(0, "epoch"), try Self.rows(group: request.group, lock: true, on: connection)
                    )
                }
                guard let locked else { throw .unknownGroup(request.group) }
                let newEpoch = locked.epoch + 1
                let change = try body(
                    Locked(
                        connection: connection,
                        rows: Dictionary(uniqueKeysWithValues: locked.rows.map { ($0.partition, $0) }),
                        newEpoch: newEpoch))
                guard !change.changed.isEmpty else {
                    return Outcome(detail: change.detail, epoch: nil, operationId: nil)
                }
                let id = try run(connection) { (connection) throws(PGError) -> Int64 in
                    _ = try connection.execute(
                        "UPDATE consumer_control SET epoch = $2, changed_at = now() WHERE consumer_group = $1",
                        [request.group, newEpoch])
                    let id = try OperationsLog.record(
                        group: request.group, actor: request.actor, command: request.command,
                        arguments: request.arguments, epoch: newEpoch, result: change.result, detail: change.json,
                        on: connection)
                    _ = try connection.execute("SELECT pg_notify($1, $2)", [ControlWatcher.channel, request.group])
                    return id
                }
                return Outcome(detail: change.detail, epoch: newEpoch, operationId: id)
            }
        } catch .database(let error) where error.kind == .lockNotAvailable {
            throw .locked
        }
    }

    private static func run<T>(
        _ connection: PGConnection, _ body: (PGConnection) throws(PGError) -> T
    ) throws(Failure) -> T {
        do { return try body(connection) } catch { throw .database(error) }
    }

    private static func resetDetail(_ moves: [OffsetResetPlan.Move]) -> String {
        let items = moves.map { "{\"partition\":\"\($0.partition)\",\"from\":\($0.from),\"to\":\($0.to)}" }
        return "{\"moves\":[\(items.joined(separator: ","))]}"
    }

    private static func timestamp(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    }
}
