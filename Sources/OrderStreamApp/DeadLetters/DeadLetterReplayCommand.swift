import ArgumentParser
import Foundation
import Kafka
import Logging
import OrderStreamDomain
import OrderStreamWorker
import PostgreSQL

/// `orderstream dlq replay`: re-publishes dead letters to their origin topic (original key,
/// value or its fix, `replay_of`/`replay_count` headers), records the replay in PostgreSQL
/// (`dlq_replays` per letter, `operations` per command), or with `--dry-run` only says what it
/// would do. Every check runs before the first message is sent: bad input publishes nothing.
struct DeadLetterReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-publishes dead letters (named, or selected by filters) to their origin topic, optionally fixed.",
        discussion: """
            A fix file (--fix) has one JSON object per line: {"letter":"orders.dlq:0:5","event":{...}}; the event \
            replaces the letter's value and must keep its event_id. A letter already replayed --max-replays times, \
            and a letter (or fix) the contract validator rejects are refused, and then nothing is published; fixes \
            of letters not selected are left out. The worker applies a replayed event at most once (it dedups by event_id).
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var selection: DeadLetterSelectionOptions

    @Argument(help: "Letters to replay, as TOPIC:PARTITION:OFFSET (instead of the filters).")
    var letters: [String] = []

    @Option(help: "Replay at most N of the selected letters (the oldest by position first), >= 1.")
    var limit: Int?

    @Flag(
        name: .customLong("dry-run"),
        help: "Publish nothing: print what would be re-published and whether each passes validation now.")
    var dryRun = false

    @Option(
        help:
            "Re-publish at most N letters per second (N/s or N, more than 0); default: as fast as the broker takes them."
    )
    var rate: String?

    @Option(help: "JSON lines of corrected events: {\"letter\":\"orders.dlq:0:5\",\"event\":{...}} per line.")
    var fix: String?

    @Option(
        name: .customLong("max-replays"), help: "Refuse letters whose event was already replayed this often, 1-100.")
    var maxReplays: Int = ReplayPlan.defaultMaxReplays

    @Option(help: "Who runs the replay, for the audit (default: $USER@host).")
    var actor: String?

    /// Everything the command line asks for, checked.
    struct Request {
        var filter: DeadLetterFilter
        var coordinates: [LetterCoordinates]
        var rate: ReplayRate?
        var fixes: [LetterCoordinates: [UInt8]]
        var actor: String
    }

    func validate() throws {
        _ = try request()
    }

    /// Parses and checks every option, reading the fix file; usage errors name the bad value.
    func request() throws -> Request {
        let filter = try selection.filter()
        var coordinates: [LetterCoordinates] = []
        do {
            for letter in letters { coordinates.append(try LetterCoordinates(parsing: letter)) }
        } catch {
            throw ValidationError(error.description)
        }
        if !coordinates.isEmpty && (filter.narrows || limit != nil) {
            throw ValidationError("name letters or select them with filters (--topic, --reason, ...), not both")
        }
        if coordinates.isEmpty && !filter.narrows {
            throw ValidationError(
                "say which letters to replay: TOPIC:PARTITION:OFFSET arguments, or at least one filter (--topic orders.dlq selects a whole topic)"
            )
        }
        if Set(coordinates).count != coordinates.count { throw ValidationError("a letter is named twice") }
        if let limit, limit < 1 { throw ValidationError("--limit must be >= 1") }
        guard (1...100).contains(maxReplays) else { throw ValidationError("--max-replays must be 1-100") }
        var parsedRate: ReplayRate?
        if let rate {
            do { parsedRate = try ReplayRate(parsing: rate) } catch { throw ValidationError(error.description) }
        }
        var fixes: [LetterCoordinates: [UInt8]] = [:]
        if let fix {
            guard let data = FileManager.default.contents(atPath: fix) else {
                throw ValidationError("cannot read the fix file \(fix)")
            }
            do { fixes = try FixFile.parse(Array(data)) } catch { throw ValidationError(error.description) }
            guard !fixes.isEmpty else { throw ValidationError("the fix file \(fix) holds no fix") }
        }
        let who: String
        switch OperationsLog.actor(given: actor) {
        case .success(let name): who = name
        case .failure(let error): throw ValidationError(error.description)
        }
        return Request(filter: filter, coordinates: coordinates, rate: parsedRate, fixes: fixes, actor: who)
    }

    func run() async throws {
        let request = try request()
        let configuration = try options.configuration()
        let logger = ProcessLogging.logger(configuration, label: "orderstream.dlq")
        let selected = try await select(request, configuration: configuration, logger: logger)
        let plan = try ReplayPlan.make(letters: selected, fixes: request.fixes, maxReplays: maxReplays)
        if plan.unusedFixes > 0 {
            FileHandle.standardError.write(
                Data(
                    "note: \(plan.unusedFixes) fixes of the fix file are for letters this replay does not select; left out\n"
                        .utf8))
        }
        if dryRun {
            print(Self.dryRunReport(plan))
            return
        }
        let result = try await DeadLetterReplay.publish(
            plan, rate: request.rate, actor: request.actor, arguments: auditArguments, fixFile: fix,
            configuration: configuration, logger: logger)
        let outcomes = result.outcomes
        for outcome in outcomes {
            print(
                "\(outcome.item.letter.coordinates) -> \(outcome.target ?? "-") (replay \(outcome.item.replayCount)\(outcome.item.fixed ? ", fixed" : "")): \(outcome.result)"
            )
        }
        print("\(result.summary) (operation \(result.operationId))")
        if result.delivered != outcomes.count { throw ExitCode(1) }
    }

    /// The letters the request names or its filters select, in coordinate order, at most `--limit`.
    private func select(
        _ request: Request, configuration: OrderStreamConfiguration, logger: Logger
    ) async throws -> [DeadLetter] {
        try await DeadLetterReplay.select(
            .init(coordinates: request.coordinates, filter: request.filter, limit: limit), configuration: configuration,
            logger: logger)
    }

    /// What the audit keeps of the command line: the selection and options, never connection settings.
    private var auditArguments: String {
        (letters + selection.arguments
            + [
                limit.map { "--limit \($0)" }, rate.map { "--rate \($0)" }, fix.map { "--fix \($0)" },
                "--max-replays \(maxReplays)",
            ].compactMap { $0 }).joined(separator: " ")
    }

    /// `--dry-run`: one line per selected letter, what would happen to it, and a verdict.
    static func dryRunReport(_ plan: ReplayPlan) -> String {
        var lines: [String] = []
        for item in plan.items {
            lines.append(
                "would replay \(item.letter.coordinates) to \(item.message.topic) (replay \(item.replayCount)\(item.fixed ? ", fixed" : "")): passes validation now"
            )
        }
        for refusal in plan.refusals {
            lines.append("would refuse \(refusal.letter): \(refusal.why)")
        }
        lines.append(
            plan.refusals.isEmpty
                ? "dry run: \(plan.items.count) letters would be replayed; nothing was published"
                : "dry run: the replay would be refused (\(plan.refusals.count) of \(plan.items.count + plan.refusals.count) letters); nothing was published"
        )
        return lines.joined(separator: "\n")
    }
}
