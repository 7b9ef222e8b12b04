import ArgumentParser
import Foundation
import Kafka
import Logging
import OrderStreamCommon
import OrderStreamDomain
import OrderStreamWorker
import PostgreSQL

/// `orderstream cutover --to blue|green [--timeout SECONDS]`: the blue-green handover (and,
/// called back, the rollback). Exits 0 once the target color owns every partition and has
/// committed on every partition with pending events; prints the processing pause it caused.
///
/// A canary moves only some partitions first: `--partitions orders:0,3,payments:0,3` or
/// `--share 25%`; `--promote` (a full cutover) moves the rest, `--abort` moves them back.
struct CutoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cutover",
        abstract: "Hands partitions to the other color (blue-green, or a canary of some partitions), fencing by epoch.")

    @OptionGroup var options: GlobalOptions

    @Option(help: "The color that takes over: blue or green (not with --abort).")
    var to: String?

    @Option(help: "A canary: only these partitions go to --to, e.g. orders:0,3,payments:0,3.")
    var partitions: String?

    @Option(help: "A canary: this share of the partition numbers (both topics alike) goes to --to, e.g. 25%.")
    var share: String?

    @Flag(help: "After a canary: move every partition to --to (the same as a full cutover).")
    var promote = false

    @Flag(help: "After a canary: move the canary's partitions back to the active color.")
    var abort = false

    @Option(help: "Seconds to wait for the new color to commit everywhere it has pending events.")
    var timeout: Double = 60

    @Flag(
        name: .customLong("no-restore-point"),
        help: "Do not create a PostgreSQL restore point before the fence (record only the WAL position).")
    var noRestorePoint = false

    @Option(
        help: "Watch the new color for this long (e.g. 5m, 90s), then promote a canary; roll back at the first breach.")
    var analyze: String?

    @Option(
        name: .customLong("max-dlq-rate"),
        help: "With --analyze: the most dead-lettered events of those consumed, e.g. 1%.")
    var maxDLQRate: String?

    @Option(
        name: .customLong("max-p99"),
        help: "With --analyze: the worst p99 batch apply time of the new color's workers, e.g. 500ms.")
    var maxP99: String?

    @Option(
        name: .customLong("max-lag-seconds"),
        help: "With --analyze: the oldest unapplied event's age on a watched partition.")
    var maxLagSeconds: Double?

    func validate() throws {
        if analyze == nil, maxDLQRate != nil || maxP99 != nil || maxLagSeconds != nil {
            throw ValidationError("--max-dlq-rate, --max-p99 and --max-lag-seconds need --analyze")
        }
        if analyze != nil, abort { throw ValidationError("--abort cannot be analyzed") }
        if let analyze, CanaryAnalysis.duration(analyze) == nil {
            throw ValidationError("--analyze must be a positive duration such as 5m, 90s or 2h, not '\(analyze)'")
        }
        if let maxDLQRate {
            let digits = maxDLQRate.hasSuffix("%") ? String(maxDLQRate.dropLast()) : maxDLQRate
            guard let percent = Double(digits), percent >= 0, percent <= 100 else {
                throw ValidationError("--max-dlq-rate must be a percentage from 0% to 100%, not '\(maxDLQRate)'")
            }
        }
        if let maxP99, CanaryAnalysis.duration(maxP99) == nil {
            throw ValidationError("--max-p99 must be a positive duration such as 500ms, not '\(maxP99)'")
        }
        if let maxLagSeconds, !(maxLagSeconds > 0 && maxLagSeconds.isFinite) {
            throw ValidationError("--max-lag-seconds must be a positive number of seconds")
        }
        if abort {
            guard to == nil, partitions == nil, share == nil, !promote else {
                throw ValidationError("--abort takes no --to, --partitions, --share or --promote")
            }
        } else {
            guard let to else { throw ValidationError("--to is required (blue or green), unless --abort") }
            guard DeploymentColor(rawValue: to) != nil else {
                throw ValidationError("--to must be blue or green, not '\(to)'")
            }
        }
        guard [partitions != nil, share != nil, promote].filter({ $0 }).count <= 1 else {
            throw ValidationError("give at most one of --partitions, --share and --promote")
        }
        if let partitions, case .failure(let failure) = CanarySelection.parse(partitions) {
            throw ValidationError("\(failure)")
        }
        if let share, case .failure(let failure) = CanarySelection.share(share) { throw ValidationError("\(failure)") }
        guard timeout > 0, timeout.isFinite else {
            throw ValidationError("--timeout must be a positive number of seconds")
        }
    }

    func run() async throws {
        let configuration = try options.configuration()
        let logger = ProcessLogging.logger(configuration, label: "orderstream.cutover")
        var configured = Cutover(
            group: configuration.group, toColor: to.flatMap(DeploymentColor.init(rawValue:)),
            timeout: .milliseconds(Int64(timeout * 1000)), logger: logger)
        configured.restorePoint = !noRestorePoint
        if abort { configured.scope = .abort }
        let cutover = configured
        let (listed, shared) = (
            partitions.flatMap { try? CanarySelection.parse($0).get() },
            share.flatMap { try? CanarySelection.share($0).get() }
        )
        if analyze != nil {
            try await runAnalyzed(cutover, configuration: configuration, listed: listed, shared: shared, logger: logger)
            return
        }
        let report = try await Self.execute(
            cutover, listed: listed, shared: shared, configuration: configuration, logger: logger)
        print(Cutover.describe(report))
        // The handover happened, but the exactly-once books do not balance: say so loudly.
        if let verification = report.verification, !verification.verified { throw ExitCode(3) }
    }

    /// Runs one step (a cutover, a canary of the `listed` partitions or of a `shared` fraction of
    /// them, a promotion or an abort) on a connection and a Kafka client of its own; the console
    /// runs its buttons through here too.
    static func execute(
        _ cutover: Cutover, listed: [TopicPartition]?, shared: Double?,
        configuration: OrderStreamConfiguration, logger: Logger
    ) async throws -> Cutover.Report {
        try await Blocking.run {
            let connection = try PGConnection.connect(
                try PGConnectionConfiguration(configuration.databaseURL).withApplicationName("orderstream:cutover"),
                logger: logger)
            defer { connection.close() }
            let consumer = try configuration.watermarkClient(for: "cutover", logger: logger)
            defer { consumer.close() }
            let step = try Self.scoped(cutover, listed: listed, shared: shared, on: connection)
            return try step.run(on: connection) { partition in
                try? consumer.watermarks(topic: partition.topic, partition: partition.partition, timeout: .seconds(2))
                    .high
            }
        }
    }

    /// The canary's partitions chosen when `--partitions` or `--share` was given.
    static func scoped(
        _ cutover: Cutover, listed: [TopicPartition]?, shared: Double?, on connection: PGConnection
    ) throws -> Cutover {
        guard listed != nil || shared != nil else { return cutover }
        var step = cutover
        let existing = try OperatorPositions.rows(group: cutover.group, on: connection).map(\.partition)
        let chosen = try
            (listed.map { CanarySelection.check($0, existing: existing) }
            ?? CanarySelection.partitions(share: shared ?? 0, of: existing)).get()
        step.scope = .partitions(chosen)
        return step
    }

    /// `--analyze`: the step (or the resumed analysis), the watch, and the decision. Exits 4 when
    /// it rolled back.
    private func runAnalyzed(
        _ cutover: Cutover, configuration: OrderStreamConfiguration, listed: [TopicPartition]?,
        shared: Double?, logger: Logger
    ) async throws {
        let limits = CanaryAnalysis.Limits(
            maxDeadLetterRate: maxDLQRate.flatMap { Double($0.hasSuffix("%") ? String($0.dropLast()) : $0) }.map {
                $0 / 100
            },
            maxP99Seconds: maxP99.flatMap(CanaryAnalysis.duration), maxLagSeconds: maxLagSeconds)
        let window = analyze.flatMap(CanaryAnalysis.duration) ?? 0
        let outcome = try await OperatorSession.run(configuration, command: "cutover", logger: logger) { session in
            let analyzed = AnalyzedCutover(
                step: try Self.scoped(cutover, listed: listed, shared: shared, on: session.connection), window: window,
                limits: limits)
            return try analyzed.run(on: session.connection) { partition in
                try? session.kafka.watermarks(
                    topic: partition.topic, partition: partition.partition, timeout: .seconds(2)
                ).high
            } lagSeconds: { partition, position in
                session.lagSeconds(partition, position: position)
            } say: { line in
                // Unbuffered: a Job's log shows the watch as it goes.
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
            }.1
        }
        switch outcome {
        case .nothingToDo(let report):
            print(Cutover.describe(report))
        case .passed:
            print("analysis passed: the cutover stays")
        case .promoted(let report):
            print("analysis passed: promoted")
            print(Cutover.describe(report))
        case .rolledBack(let reason, let report):
            print("rolled back: \(reason)")
            print(Cutover.describe(report))
            throw ExitCode(4)
        }
    }
}
