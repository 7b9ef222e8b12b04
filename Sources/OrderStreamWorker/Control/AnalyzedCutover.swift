import Foundation
import Kafka
import Logging
import PostgreSQL

/// `cutover --analyze`: a step (canary or full cutover), then a watch of the partitions it gave
/// the new color for `window`; at the first breach of a limit it rolls back (a canary is aborted,
/// a full cutover is cut back over), else at the end it promotes a canary (a full cutover passes).
///
/// The decision state lives in `analyses`: a restarted run finds the running analysis and
/// resumes its watch with the same baseline and end, rather than stepping again. A session
/// advisory lock keeps two runs of one group from deciding at once.
public struct AnalyzedCutover: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// Nothing was handed over (the target already owned everything): nothing to watch.
        case nothingToDo(Cutover.Report)
        case promoted(Cutover.Report)
        case passed
        case rolledBack(reason: String, Cutover.Report)
    }

    public enum Failure: Error, CustomStringConvertible {
        case busy(String)
        case step(Cutover.Failure)
        case database(PGError)

        public var description: String {
            switch self {
            case .busy(let group): "another `cutover --analyze` is deciding for group \(group); nothing was changed"
            case .step(let failure): "\(failure)"
            case .database(let error): "database: \(error)"
            }
        }
    }

    /// The step to take (ignored when an analysis is resumed).
    public var step: Cutover
    public var window: Double
    public var limits: CanaryAnalysis.Limits
    /// How often the figures are read.
    public var interval: Double = 1

    public init(step: Cutover, window: Double, limits: CanaryAnalysis.Limits) {
        self.step = step
        self.window = window
        self.limits = limits
    }

    /// Runs the step (or resumes) and the watch. `lagSeconds` answers the age of the oldest
    /// unapplied event of a partition at a position (nil when unknown); `say` prints progress.
    public func run(
        on connection: PGConnection, highWatermark: (TopicPartition) -> Int64?,
        lagSeconds: (TopicPartition, Int64) -> Double?, say: (String) -> Void
    ) throws(Failure) -> (AnalysisStore.Record?, Outcome) {
        let group = step.group
        try Self.mapped {
            let locked = try connection.query(
                "SELECT pg_try_advisory_lock(hashtext($1)) AS locked", ["orderstream-analysis:" + group])
            guard try locked.bool(0, "locked") else { throw Failure.busy(group) }
        }
        let record: AnalysisStore.Record
        do {
            if let running = try AnalysisStore.running(group: group, on: connection) {
                say(
                    "resuming analysis #\(running.id) (\(running.kind) to \(running.toColor), started \(running.startedAt))"
                )
                record = running
            } else {
                let report: Cutover.Report
                do { report = try step.run(on: connection, highWatermark: highWatermark) } catch {
                    throw Failure.step(error)
                }
                if report.alreadyActive { return (nil, .nothingToDo(report)) }
                say(Cutover.describe(report))
                record = try AnalysisStore.start(
                    group: group, epoch: report.epoch, kind: report.kind == .canary ? .canary : .cutover,
                    fromColor: report.fromColor, toColor: report.toColor, partitions: report.moved, window: window,
                    limits: limits, on: connection)
            }
        } catch {
            throw Self.failure(error)
        }
        say(
            "analysis #\(record.id): watching \(record.partitions.count) partition(s) of \(record.toColor) until "
                + "\(ISO8601DateFormatter().string(from: record.endsAt)): " + Self.describe(record.limits))
        return (
            record, try watch(record, on: connection, highWatermark: highWatermark, lagSeconds: lagSeconds, say: say)
        )
    }

    private func watch(
        _ record: AnalysisStore.Record, on connection: PGConnection, highWatermark: (TopicPartition) -> Int64?,
        lagSeconds: (TopicPartition, Int64) -> Double?, say: (String) -> Void
    ) throws(Failure) -> Outcome {
        let group = step.group
        do {
            while Date() < record.endsAt {
                let reading = try read(record, on: connection, lagSeconds: lagSeconds)
                if let reason = CanaryAnalysis.breach(reading, limits: record.limits) {
                    say("breach: \(reason); rolling back")
                    var back = Cutover(
                        group: group, toColor: record.fromColor, timeout: step.timeout, logger: step.logger)
                    back.restorePoint = step.restorePoint
                    back.scope = record.kind == .canary ? .abort : .all
                    let report = try decide(
                        record, by: back, status: "rolled_back", reason: reason, on: connection,
                        highWatermark: highWatermark)
                    return .rolledBack(reason: reason, report)
                }
                Thread.sleep(forTimeInterval: interval)
            }
            let reading = try read(record, on: connection, lagSeconds: lagSeconds)
            let summary =
                "no breach in the window (dead-letter rate \(CanaryAnalysis.percent(reading.deadLetterRate)) of "
                + "\(reading.consumed) events)"
            guard record.kind == .canary else {
                try AnalysisStore.finish(id: record.id, status: "passed", reason: summary, on: connection)
                return .passed
            }
            var promote = Cutover(group: group, toColor: record.toColor, timeout: step.timeout, logger: step.logger)
            promote.restorePoint = step.restorePoint
            return .promoted(
                try decide(
                    record, by: promote, status: "promoted", reason: summary, on: connection,
                    highWatermark: highWatermark))
        } catch {
            throw Self.failure(error)
        }
    }

    /// What `error` is as a `Failure`: itself, or a database error.
    private static func failure(_ error: any Error) -> Failure {
        switch error {
        case let failure as Failure: failure
        case let error as PGError: .database(error)
        default: .database(PGError(wrapping: error))
        }
    }

    private static func mapped(_ body: () throws -> Void) throws(Failure) {
        do { try body() } catch { throw failure(error) }
    }

    /// Runs the deciding step and records the decision; a step that fails marks the analysis
    /// failed (an operator decides then) and throws.
    private func decide(
        _ record: AnalysisStore.Record, by cutover: Cutover, status: String, reason: String,
        on connection: PGConnection, highWatermark: (TopicPartition) -> Int64?
    ) throws -> Cutover.Report {
        do {
            let report = try cutover.run(on: connection, highWatermark: highWatermark)
            try AnalysisStore.finish(id: record.id, status: status, reason: reason, on: connection)
            return report
        } catch let failure as Cutover.Failure {
            try? AnalysisStore.finish(
                id: record.id, status: "failed", reason: "\(reason); then: \(failure)", on: connection)
            throw Failure.step(failure)
        }
    }

    private func read(
        _ record: AnalysisStore.Record, on connection: PGConnection,
        lagSeconds: (TopicPartition, Int64) -> Double?
    ) throws -> CanaryAnalysis.Reading {
        let now = try AnalysisStore.ledger(group: step.group, partitions: record.partitions, on: connection)
        var reading = CanaryAnalysis.Reading(
            consumed: now.consumed - record.baselineConsumed, deadLettered: now.rejected - record.baselineRejected,
            p99Seconds: try AnalysisStore.worstP99(group: step.group, color: record.toColor, on: connection))
        if record.limits.maxLagSeconds != nil {
            let watched = Set(record.partitions)
            for row in try OperatorPositions.rows(group: step.group, on: connection)
            where watched.contains(row.partition.description) && !row.paused {
                if let lag = lagSeconds(row.partition, row.nextOffset) {
                    reading.lagSeconds = max(reading.lagSeconds ?? 0, lag)
                }
            }
        }
        return reading
    }

    static func describe(_ limits: CanaryAnalysis.Limits) -> String {
        var parts: [String] = []
        if let rate = limits.maxDeadLetterRate { parts.append("dead-letter rate <= \(CanaryAnalysis.percent(rate))") }
        if let p99 = limits.maxP99Seconds { parts.append("p99 apply time <= \(CanaryAnalysis.milliseconds(p99))") }
        if let lag = limits.maxLagSeconds { parts.append("lag <= \(CanaryAnalysis.seconds(lag))") }
        return parts.isEmpty ? "no limits (the window only)" : parts.joined(separator: ", ")
    }
}
