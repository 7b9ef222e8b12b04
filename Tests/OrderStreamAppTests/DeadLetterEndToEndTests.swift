import Foundation
import OrderStreamDomain
import OrderStreamTestSupport
import PostgreSQL
import Testing

/// The dead-letter inbox and replays against the embedded broker, real PostgreSQL and a worker
/// process: what the inbox counts is what the worker rejected; the replay cap stops a loop; bad
/// input publishes nothing; an order's timeline has its applied events and its dead letters.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct DeadLetterEndToEndTests {
    @Test func listAndStatsAgreeWithTheWorkersRejections() async throws {
        let cluster = try TestCluster(partitions: 3)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        let tools = DeadLetterTools(cluster: cluster, databaseURL: database)
        let worker = try WorkerProcess.start(cluster: cluster, databaseURL: database)
        defer { worker.runner.kill() }
        try await worker.waitReady()

        let expected = ExpectedStream(orders: 400, duplicates: 0.02, invalid: 0.1, seed: 12)
        let published = try expected.publish(to: cluster)
        #expect(published.status == 0, "\(published.stderr)")
        let kpis = try await worker.waitAccounted(messages: expected.messages)
        #expect(kpis.body == expected.totalsJSON)

        let metrics = DeadLetterTools.rejectedByReason(
            metrics: try await HTTPProbe.get(worker.baseURL + "/metrics").body)
        let wanted = Dictionary(
            uniqueKeysWithValues: expected.reference.rejectionsByReason.map { ($0.key.rawValue, $0.value) })
        #expect(metrics == wanted, "the worker's rejections by reason")
        #expect(wanted.count >= 3, "several reasons: \(wanted)")

        let stats = try #require(try tools.json(["dlq", "stats"]).objectValue)
        let byReason = (stats["by_reason"]?.objectValue ?? [:]).compactMapValues(\.integerValue)
        #expect(byReason == metrics, "dlq stats by reason = events_rejected by reason")
        #expect(stats["total"]?.integerValue == kpis.int("events_rejected"))
        let byTopic = (stats["by_topic"]?.objectValue ?? [:]).compactMapValues(\.integerValue)
        #expect(byTopic["orders.dlq"] == Int64(expected.invalid.filter { $0.topic == "orders" }.count))
        #expect(byTopic["payments.dlq"] == Int64(expected.invalid.filter { $0.topic == "payments" }.count))
        #expect(stats["oldest"]?.objectValue?["letter"] != nil && stats["newest"]?.objectValue?["letter"] != nil)

        let letters = try tools.letters()
        #expect(Int64(letters.count) == kpis.int("events_rejected"))
        var listed: [String: Int64] = [:]
        for letter in letters { listed[letter["reason"]?.stringValue ?? "?", default: 0] += 1 }
        #expect(listed == metrics, "dlq list by reason = events_rejected by reason")
        #expect(
            Set(letters.compactMap { $0["value"]?.stringValue })
                == Set(expected.invalid.compactMap { String(validating: $0.value, as: UTF8.self) }),
            "the letters hold the invalid messages' bytes")
        #expect(
            letters.filter { $0["value_escaped"] != nil }.count
                == expected.invalid.filter { String(validating: $0.value, as: UTF8.self) == nil }.count)
        for (reason, count) in metrics {
            #expect(try tools.letters(["--reason", reason]).count == Int(count), "\(reason)")
        }
        #expect(try tools.letters(["--limit", "5"]).count == 5)
        #expect(try tools.letters(["--topic", "payments"]).count == Int(byTopic["payments.dlq"] ?? -1))

        let first = try #require(letters.first?["letter"]?.stringValue)
        let shown = try tools.run(["dlq", "show", first])
        #expect(
            shown.status == 0 && shown.stdout.contains("letter:   \(first)")
                && shown.stdout.contains("rejected: \(letters[0]["reason"]?.stringValue ?? "?")"),
            "\(shown.stdout) \(shown.stderr)")
        let table = try tools.run(["dlq", "list", "--topic", "orders.dlq"])
        #expect(
            table.status == 0 && table.stdout.contains("\(byTopic["orders.dlq"] ?? -1) dead letters"), "\(table.stdout)"
        )
    }

    @Test func theReplayCapStopsALoopAndBadInputPublishesNothing() async throws {
        let cluster = try TestCluster(partitions: 2)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        let setup = try await PGConnection.connect(
            try PGConnectionConfiguration(database), logger: TestEnvironment.logger())
        try PoisonFixtures.install(on: setup)
        setup.close()
        let tools = DeadLetterTools(cluster: cluster, databaseURL: database)
        let worker = try WorkerProcess.start(cluster: cluster, databaseURL: database)
        defer { worker.runner.kill() }
        try await worker.waitReady()

        // An event PostgreSQL always refuses: every replay is dead-lettered again, one count higher.
        let poison = PoisonFixtures.event("order.cancelled", order: "poison-22-loop", id: "x-loop")
        let published = try tools.run(["publish", try DeadLetterTools.file("poison.jsonl", poison + "\n")])
        #expect(published.status == 0, "\(published.stderr)")
        var previous: String?
        for round in 0...3 {
            var newest: [String: JSONValue] = [:]
            let arrived = try await TestEnvironment.eventually(timeout: .seconds(30), every: .milliseconds(300)) {
                let letters = try tools.letters(["--order-id", "poison-22-loop"])
                newest = letters.last ?? [:]
                return letters.count == round + 1
            }
            try #require(arrived, "letter of round \(round)")
            #expect(newest["reason"]?.stringValue == "apply_failed")
            #expect(newest["replay_count"]?.integerValue == Int64(round), "the worker carried the count: \(newest)")
            #expect(newest["replay_of"]?.stringValue == previous)
            let letter = try #require(newest["letter"]?.stringValue)
            previous = letter
            if round < 3 {
                let replay = try tools.run(["dlq", "replay", letter, "--actor", "loop-test"])
                #expect(replay.status == 0, "\(replay.stdout) \(replay.stderr)")
                #expect(replay.stdout.contains("replayed 1 letters"))
            }
        }
        let loopLetter = try #require(previous)
        let before = try tools.messagesIn(["orders", "payments"])
        let refused = try tools.run(["dlq", "replay", loopLetter])
        #expect(
            refused.status == 1 && refused.stderr.contains("replayed 3 times already (--max-replays 3)"),
            "\(refused.stderr)")
        let dryRun = try tools.run(["dlq", "replay", loopLetter, "--max-replays", "4", "--dry-run"])
        #expect(
            dryRun.status == 0
                && dryRun.stdout.contains("would replay \(loopLetter) to orders (replay 4): passes validation now"),
            "\(dryRun.stdout) \(dryRun.stderr)")

        // Bad input: a clear error, a non-zero exit, nothing published.
        let otherId = try DeadLetterTools.file(
            "other-id.jsonl",
            #"{"letter":"\#(loopLetter)","event":\#(PoisonFixtures.event("order.cancelled", order: "poison-22-loop", id: "x-other"))}"#
                + "\n")
        let cases: [([String], Int32, String)] = [
            (["dlq", "replay", "orders.dlq:0"], 64, "not a letter's coordinates"),
            (["dlq", "replay", "orders:0:1"], 64, "unknown dead-letter topic"),
            (["dlq", "replay", "--topic", "refunds"], 64, "unknown dead-letter topic"),
            (["dlq", "replay", "--reason", "bad_luck"], 64, "unknown reason"),
            (["dlq", "replay"], 64, "say which letters to replay"),
            (["dlq", "replay", "--topic", "orders", "--rate", "fast"], 64, "--rate"),
            (["dlq", "replay", "--topic", "orders", "--rate", "0/s"], 64, "--rate"),
            (["dlq", "replay", loopLetter, "--topic", "orders"], 64, "not both"),
            (["dlq", "replay", loopLetter, "--fix", "/nonexistent/fixes.jsonl"], 64, "cannot read the fix file"),
            (
                ["dlq", "replay", loopLetter, "--fix", try DeadLetterTools.file("broken.jsonl", "{\"letter\":\n")], 64,
                "fix file line 1"
            ),
            (
                ["dlq", "replay", loopLetter, "--max-replays", "4", "--fix", otherId], 1,
                "the fix has event_id \"x-other\""
            ),
            (["dlq", "replay", "orders.dlq:0:999"], 1, "no dead letter at orders.dlq:0:999"),
            (["dlq", "replay", loopLetter, "--actor", " "], 64, "--actor"),
            (["dlq", "show", "orders.dlq:1:999"], 1, "there is no dead letter at orders.dlq:1:999"),
        ]
        for (arguments, status, message) in cases {
            let answer = try tools.run(arguments)
            #expect(
                answer.status == status && answer.stderr.contains(message),
                "\(arguments): \(answer.status) \(answer.stderr)")
        }
        try await Task.sleep(for: .seconds(1))
        #expect(try tools.messagesIn(["orders", "payments"]) == before, "nothing was published")

        // Three replays, each recorded: one dlq_replays row per letter, one operations row per command.
        let history = try tools.json(["dlq", "history"]).arrayValue ?? []
        #expect(history.count == 3)
        #expect(history.compactMap { $0.objectValue?["replay_count"]?.integerValue } == [3, 2, 1])
        #expect(
            history.allSatisfy {
                $0.objectValue?["actor"]?.stringValue == "loop-test"
                    && $0.objectValue?["result"]?.stringValue == "published"
            })
        let operations = try TestEnvironment.query(
            database, "SELECT count(*)::bigint AS n FROM operations WHERE command = 'dlq replay'")
        #expect(try operations.int64(0, "n") == 3)
        let text = try tools.run(["dlq", "history"])
        #expect(text.status == 0 && text.stdout.contains("3 replayed letters"), "\(text.stdout)")
    }

    /// Ids with a space, a slash and a non-ASCII letter, through the HTTP route and the CLI.
    @Test func anOrdersTimelineHasItsAppliedEventsAndItsDeadLetters() async throws {
        let cluster = try TestCluster(partitions: 2)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        let tools = DeadLetterTools(cluster: cluster, databaseURL: database)
        let worker = try WorkerProcess.start(cluster: cluster, databaseURL: database)
        defer { worker.runner.kill() }
        try await worker.waitReady()

        let ids = [("ord 1", "ord%201"), ("a/b", "a%2Fb"), ("été-7", "%C3%A9t%C3%A9-7")]
        var lines: [String] = []
        for (index, (id, _)) in ids.enumerated() {
            lines.append(PoisonFixtures.event("payment.captured", order: id, id: "cap-\(index)"))
            lines.append(PoisonFixtures.event("order.cancelled", order: id, id: "can-\(index)"))
        }
        // One event of `a/b` from a bad release: a currency the contract rejects.
        lines.append(
            PoisonFixtures.event("payment.captured", order: "a/b", id: "auth-bad").replacingOccurrences(
                of: "EUR", with: "eur"))
        let published = try tools.run([
            "publish", try DeadLetterTools.file("timeline.jsonl", lines.joined(separator: "\n") + "\n"),
        ])
        #expect(published.status == 0, "\(published.stderr)")
        _ = try await worker.waitAccounted(messages: Int64(lines.count), timeout: .seconds(60))

        for (index, (id, path)) in ids.enumerated() {
            let answer = try await HTTPProbe.get(worker.baseURL + "/orders/\(path)/events")
            #expect(answer.status == 200, "\(path): \(answer.body)")
            let body = try #require(try JSONParser.parse(Array(answer.body.utf8)).objectValue)
            #expect(body["order_id"]?.stringValue == id)
            let events = (body["events"]?.arrayValue ?? []).compactMap(\.objectValue)
            // Same occurred_at: ordered by source topic (orders before payments).
            #expect(
                events.compactMap { $0["event_id"]?.stringValue } == ["can-\(index)", "cap-\(index)"], "\(answer.body)")
            #expect(
                events.first?["event_type"]?.stringValue == "order.cancelled"
                    && events.first?["source_topic"]?.stringValue == "orders")
            #expect(
                events.first?["occurred_at"]?.stringValue == "2026-11-26T12:03:00.000000Z"
                    && events.first?["source_offset"]?.integerValue != nil)
            let letters = (body["dead_letters"]?.arrayValue ?? []).compactMap(\.objectValue)
            #expect(letters.count == (id == "a/b" ? 1 : 0), "\(answer.body)")
            if id == "a/b" { #expect(letters.first?["reason"]?.stringValue == "invalid_currency", "\(answer.body)") }
        }
        #expect(try await HTTPProbe.get(worker.baseURL + "/orders/nobody/events").status == 404)

        let timeline = try #require(try tools.json(["order", "a/b"]).objectValue)
        #expect((timeline["events"]?.arrayValue ?? []).count == 2)
        let letters = (timeline["dead_letters"]?.arrayValue ?? []).compactMap(\.objectValue)
        #expect(
            letters.count == 1 && letters.first?["reason"]?.stringValue == "invalid_currency"
                && letters.first?["event_id"]?.stringValue == "auth-bad", "\(timeline)")
        let text = try tools.run(["order", "été-7"])
        #expect(
            text.status == 0 && text.stdout.contains("order été-7: 2 applied events, 0 dead letters"),
            "\(text.stdout) \(text.stderr)")
        let spaced = try tools.run(["order", "ord 1"])
        #expect(
            spaced.status == 0 && spaced.stdout.contains("order.cancelled  can-0  from orders:"), "\(spaced.stdout)")
        let unknown = try tools.run(["order", "nobody"])
        #expect(unknown.status == 1 && unknown.stderr.contains("never seen"), "\(unknown.stderr)")
    }
}
