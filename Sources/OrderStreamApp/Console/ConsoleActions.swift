import Foundation
import Kafka
import Logging
import OrderStreamCommon
import OrderStreamDomain
import OrderStreamWorker
import PostgreSQL
import Synchronization

/// What the console's buttons do. Each action is the command line's own operation (the same
/// fenced, epoch-checked code path: `DeadLetterReplay`, `OperatorPositions`, `Cutover`), run
/// one at a time per console, and recorded in the `operations` audit with the actor
/// `console:<name>` once it changed something (a deployment step that failed after its fence
/// is recorded too, with its failure). A refusal before anything changed is not recorded, as on
/// the command line.
final class ConsoleActions: Sendable {
    let configuration: OrderStreamConfiguration
    let logger: Logger
    /// Seconds a cutover step waits for the new color to commit (the request waits as long).
    let cutoverTimeout: Duration
    /// One action at a time: a second click while a cutover runs gets a 409, not a second cutover.
    private let busy = Mutex<String?>(nil)

    init(configuration: OrderStreamConfiguration, logger: Logger, cutoverTimeout: Duration = .seconds(30)) {
        self.configuration = configuration
        self.logger = logger
        self.cutoverTimeout = cutoverTimeout
    }

    /// Runs `body` unless another action is running.
    private func exclusively<T: Sendable>(_ name: String, _ body: () async throws -> T) async throws -> T {
        let running = busy.withLock { current -> String? in
            if let current { return current }
            current = name
            return nil
        }
        if let running {
            throw ConsoleError(.conflict, "another action is running (\(running)); try again when it ends")
        }
        defer { busy.withLock { $0 = nil } }
        return try await body()
    }

    // MARK: dead letters

    /// `POST /api/dead-letters/replay`.
    func replay(_ body: ConsoleRequestBody, actor: String) async throws -> String {
        let named = try body.strings("letters") ?? []
        var coordinates: [LetterCoordinates] = []
        for name in named { coordinates.append(try LetterCoordinates(parsing: name)) }
        guard Set(coordinates).count == coordinates.count else {
            throw ConsoleError(.badRequest, "a letter is named twice")
        }
        let filter = try DeadLetterFilter.make(
            topic: try body.string("topic"), reason: try body.string("reason"), orderId: try body.string("order_id"),
            since: try body.string("since"), until: try body.string("until"))
        let limit = try body.integer("limit", in: 1...100_000).map(Int.init)
        if !coordinates.isEmpty && (filter.narrows || limit != nil) {
            throw ConsoleError(.badRequest, "name letters or select them with filters, not both")
        }
        if coordinates.isEmpty && !filter.narrows {
            throw ConsoleError(
                .badRequest,
                "say which letters to replay: letters, or at least one filter (topic, reason, order_id, since, until)")
        }
        let maxReplays = Int(try body.integer("max_replays", in: 1...100) ?? Int64(ReplayPlan.defaultMaxReplays))
        let dryRun = try body.bool("dry_run") ?? false
        let configuration = self.configuration
        let logger = self.logger
        let selection = DeadLetterReplay.Selection(coordinates: coordinates, filter: filter, limit: limit)
        let arguments =
            "(console) " + (named.isEmpty ? Self.describe(filter, limit: limit) : named.joined(separator: " "))
            + " --max-replays \(maxReplays)" + (dryRun ? " --dry-run" : "")
        return try await exclusively("dlq replay") {
            let letters = try await DeadLetterReplay.select(selection, configuration: configuration, logger: logger)
            let plan = try ReplayPlan.make(letters: letters, fixes: [:], maxReplays: maxReplays)
            if dryRun { return ConsoleJSON.dryRun(plan) }
            // Refused before anything is published: not audited, as on the command line.
            guard plan.refusals.isEmpty else { throw ConsoleError(.conflict, ConsoleJSON.refusalMessage(plan)) }
            let result = try await DeadLetterReplay.publish(
                plan, rate: nil, actor: actor, arguments: arguments, fixFile: nil, configuration: configuration,
                logger: logger)
            return ConsoleJSON.replayed(result)
        }
    }

    private static func describe(_ filter: DeadLetterFilter, limit: Int?) -> String {
        var parts: [String] = []
        if filter.topics != LetterCoordinates.deadLetterTopics {
            parts.append("--topic \(filter.topics.joined(separator: ","))")
        }
        if let reason = filter.reason { parts.append("--reason \(reason)") }
        if let orderId = filter.orderId { parts.append("--order-id \(orderId)") }
        if let since = filter.sinceMillis { parts.append("--since \(RFC3339.formatMillis(since * 1_000))") }
        if let until = filter.untilMillis { parts.append("--until \(RFC3339.formatMillis(until * 1_000))") }
        if let limit { parts.append("--limit \(limit)") }
        return parts.joined(separator: " ")
    }

    // MARK: partitions

    /// `POST /api/partitions/pause` and `/resume`: one partition, or every partition of a topic.
    func setPaused(_ paused: Bool, _ body: ConsoleRequestBody, actor: String) async throws -> String {
        guard let topic = try body.string("topic") else {
            throw ConsoleError(.badRequest, "topic is required (orders or payments)")
        }
        guard Topic(rawValue: topic) != nil else {
            throw ConsoleError(.badRequest, "unknown topic \(topic.debugDescription) (orders or payments)")
        }
        let partition = try body.integer("partition", in: 0...Int64(Int32.max)).map { Int32($0) }
        let command = paused ? "pause" : "resume"
        let request = OperatorPositions.Request(
            group: configuration.group, actor: actor, command: command,
            arguments: "(console) --topic \(topic)" + (partition.map { " --partition \($0)" } ?? ""))
        let configuration = self.configuration
        let logger = self.logger
        return try await exclusively(command) {
            let outcome = try await OperatorSession.run(configuration, command: command, logger: logger) { session in
                let rows = try OperatorPositions.rows(group: request.group, on: session.connection)
                let chosen = rows.map(\.partition).filter {
                    $0.topic == topic && (partition == nil || $0.partition == partition)
                }
                guard !chosen.isEmpty else {
                    throw OperatorPositions.Failure.noPartitions(
                        group: request.group, topic: topic, partition: partition)
                }
                return try OperatorPositions.setPaused(paused, chosen, request: request, on: session.connection)
            }
            return ConsoleJSON.positionsChanged(
                command: command, changed: outcome.detail.map(\.description),
                epoch: outcome.epoch, operationId: outcome.operationId)
        }
    }

    // MARK: deployments

    /// The deployment buttons.
    enum Step: String, Sendable {
        case cutover, canary, promote, abort, rollback
    }

    /// `POST /api/deployments/{step}`.
    func deploy(_ step: Step, _ body: ConsoleRequestBody, actor: String) async throws -> String {
        let named = try body.string("to")
        let target: DeploymentColor?
        let restorePoint = try body.bool("restore_point") ?? true
        var listed: [TopicPartition]?
        var shared: Double?
        var arguments = "(console)"
        switch step {
        case .cutover, .promote, .canary:
            guard let named else { throw ConsoleError(.badRequest, "to is required (blue or green)") }
            guard let color = DeploymentColor(rawValue: named) else {
                throw ConsoleError(.badRequest, "to must be blue or green, not \(named.debugDescription)")
            }
            target = color
            arguments += " --to \(color.rawValue)"
        case .abort, .rollback:
            guard named == nil else {
                throw ConsoleError(.badRequest, "\(step.rawValue) takes no to: it knows where to go")
            }
            target = nil
        }
        if step == .canary {
            switch (try body.string("partitions"), try body.string("share")) {
            case (let list?, nil):
                listed = try CanarySelection.parse(list).mapError { ConsoleError(.badRequest, "\($0)") }.get()
                arguments += " --partitions \(list)"
            case (nil, let share?):
                shared = try CanarySelection.share(share).mapError { ConsoleError(.badRequest, "\($0)") }.get()
                arguments += " --share \(share)"
            default:
                throw ConsoleError(.badRequest, "a canary needs exactly one of partitions (orders:0,3) and share (25%)")
            }
        } else if try body.string("partitions") != nil || body.string("share") != nil {
            throw ConsoleError(.badRequest, "partitions and share are for a canary")
        }
        if !restorePoint { arguments += " --no-restore-point" }
        let configuration = self.configuration
        let logger = self.logger
        let timeout = cutoverTimeout
        let command = step == .cutover ? "cutover" : "cutover \(step.rawValue)"
        return try await exclusively(command) {
            var toColor = target
            if step == .rollback {
                let back = try await Self.rollbackTarget(configuration: configuration, logger: logger)
                toColor = back
                arguments += " --to \(back.rawValue)"
            }
            var cutover = Cutover(group: configuration.group, toColor: toColor, timeout: timeout, logger: logger)
            cutover.restorePoint = restorePoint
            if step == .abort { cutover.scope = .abort }
            do {
                let report = try await CutoverCommand.execute(
                    cutover, listed: listed, shared: shared, configuration: configuration, logger: logger)
                let text = Cutover.describe(report)
                let id = try? await audit(
                    actor: actor, command: command, arguments: arguments, epoch: report.epoch,
                    result: text.split(separator: "\n").first.map(String.init) ?? text)
                return ConsoleJSON.deployed(report, text: text, operationId: id)
            } catch {
                let refusal = ConsoleError.from(error)
                _ = try? await audit(
                    actor: actor, command: command, arguments: arguments, epoch: nil,
                    result: "failed: \(refusal.message)")
                throw refusal
            }
        }
    }

    /// Where a rollback goes: the color the latest full cutover left. Refused while a canary is
    /// out (abort it instead) and when there was never a cutover.
    private static func rollbackTarget(
        configuration: OrderStreamConfiguration, logger: Logger
    ) async throws -> DeploymentColor {
        let group = configuration.group
        return try await withDatabase(configuration, logger: logger) { connection in
            let rows = try OperatorPositions.rows(group: group, on: connection)
            if Set(rows.map(\.ownerColor)).count > 1 {
                throw ConsoleError(
                    .conflict, "a canary is out (both colors own partitions): abort or promote it instead of a rollback"
                )
            }
            guard let color = try DeploymentHistory.rollbackColor(group: group, on: connection) else {
                throw ConsoleError(.conflict, "group \(group) has had no cutover, so there is nothing to roll back")
            }
            return color
        }
    }

    /// Records a console action in `operations`.
    @discardableResult
    private func audit(
        actor: String, command: String, arguments: String, epoch: Int64?, result: String
    ) async throws -> Int64 {
        let group = configuration.group
        let configuration = self.configuration
        let logger = self.logger
        return try await Self.withDatabase(configuration, logger: logger) { connection in
            try OperationsLog.record(
                group: group, actor: actor, command: command, arguments: arguments, epoch: epoch,
                result: result, on: connection)
        }
    }

    /// A connection of its own for `body`, on a thread of its own, closed after it.
    private static func withDatabase<T: Sendable>(
        _ configuration: OrderStreamConfiguration, logger: Logger,
        _ body: @escaping @Sendable (PGConnection) throws -> T
    ) async throws -> T {
        try await Blocking.run {
            let connection = try PGConnection.connect(
                try PGConnectionConfiguration(configuration.databaseURL).withApplicationName("orderstream:console"),
                logger: logger)
            defer { connection.close() }
            return try body(connection)
        }
    }
}
