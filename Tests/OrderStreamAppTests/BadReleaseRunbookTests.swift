import Foundation
import OrderStreamDomain
import OrderStreamLoadGen
import OrderStreamTestSupport
import PostgreSQL
import Testing

/// docs/OPERATIONS.md, "A bad publisher release sent 10,000 invalid events: fix and replay them",
/// step by step, with a release of that size (every event of 6,600 orders with a currency:
/// more than 10,000 invalid events).
@Suite(.serialized, .timeLimit(.minutes(5)))
struct BadReleaseRunbookTests {
    /// Every `currency` member of `value` changed by `change`: the bad release lower-cases
    /// them, the runbook's fix (its `jq` walk) upper-cases them again.
    static func currencies(_ value: JSONValue, _ change: (String) -> String) -> JSONValue {
        switch value {
        case .object(var members):
            for (name, member) in members {
                if name == "currency", let text = member.stringValue {
                    members[name] = .string(change(text))
                } else {
                    members[name] = currencies(member, change)
                }
            }
            return .object(members)
        case .array(let elements):
            return .array(elements.map { currencies($0, change) })
        default:
            return value
        }
    }

    static func text(_ value: JSONValue) -> String {
        var writer = JSONWriter()
        writer.value(value)
        return writer.text
    }

    /// The fixed events of `letters` as the worker receives them: (topic, key, value).
    static func fixedEvents(
        _ letters: [[String: JSONValue]]
    ) throws -> [(topic: String, key: [UInt8]?, value: [UInt8], letter: String)] {
        try letters.map { letter in
            let value = try JSONParser.parse(Array((letter["value"]?.stringValue ?? "").utf8))
            let fixed = currencies(value, { $0.uppercased() })
            return (
                String((letter["topic"]?.stringValue ?? "").dropLast(4)),
                (letter["order_id"]?.stringValue).map { Array($0.utf8) },
                Array(text(fixed).utf8), letter["letter"]?.stringValue ?? ""
            )
        }
    }

    @Test func aBadReleasesInvalidEventsAreFixedAndReplayedExactlyOnce() async throws {
        let cluster = try TestCluster(partitions: 3)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        let tools = DeadLetterTools(cluster: cluster, databaseURL: database)
        let worker = try WorkerProcess.start(cluster: cluster, databaseURL: database)
        defer { worker.runner.kill() }
        try await worker.waitReady()

        // Normal traffic, then the bad release: its events carry lower-case currencies.
        let normal = ExpectedStream(orders: 300, duplicates: 0.05, invalid: 0, seed: 31)
        #expect(try normal.publish(to: cluster).status == 0)
        var reference = normal.reference
        var badLines: [String] = []
        for message in LoadGenerator(
            orders: 6_600, duplicates: 0, invalid: 0, seed: 32,
            startMicros: RFC3339.parseMicros("2026-11-26T13:00:00Z")!)
        {
            let bad = Self.text(Self.currencies(try JSONParser.parse(message.value), { $0.lowercased() }))
            badLines.append(bad)
            _ = reference.apply(topic: message.topic.rawValue, key: message.key, value: Array(bad.utf8))
        }
        let invalidCount = Int(reference.rejectionsByReason[.invalidCurrency] ?? 0)
        #expect(
            invalidCount >= 10_000 && reference.eventsRejected == Int64(invalidCount),
            "the release's events with a currency")
        let releaseStarted = RFC3339.formatMillis(Int64(Date().timeIntervalSince1970 * 1_000_000) - 1_000_000)
        let published = try tools.run([
            "publish", try DeadLetterTools.file("release.jsonl", badLines.joined(separator: "\n") + "\n"),
        ])
        #expect(published.status == 0, "\(published.stderr)")
        let totalMessages = normal.messages + Int64(badLines.count)
        var kpis = try await worker.waitAccounted(messages: totalMessages)
        #expect(kpis.body == reference.kpis().json(includeTotalsOnly: true))

        // Step 1: see it.
        let stats = try #require(try tools.json(["dlq", "stats"]).objectValue)
        #expect(stats["by_reason"]?.objectValue?["invalid_currency"]?.integerValue == Int64(invalidCount))
        let metrics = DeadLetterTools.rejectedByReason(
            metrics: try await HTTPProbe.get(worker.baseURL + "/metrics").body)
        #expect(metrics == ["invalid_currency": Int64(invalidCount)])

        // Step 3: export the letters (since the release) and write the fixes.
        let selection = ["--reason", "invalid_currency", "--since", releaseStarted]
        let letters = try tools.letters(selection)
        #expect(letters.count == invalidCount)
        let fixed = try Self.fixedEvents(letters)
        let fixLines = fixed.map {
            #"{"letter":"\#($0.letter)","event":\#(String(decoding: $0.value, as: UTF8.self))}"#
        }
        let fixes = try DeadLetterTools.file("fixes.jsonl", fixLines.joined(separator: "\n") + "\n")

        // Step 4: the dry run says every fix passes, and publishes nothing.
        let before = try tools.messagesIn(["orders", "payments"])
        let dryRun = try tools.run(["dlq", "replay"] + selection + ["--fix", fixes, "--dry-run"])
        #expect(
            dryRun.status == 0 && dryRun.stdout.contains("dry run: \(invalidCount) letters would be replayed"),
            "\(dryRun.stdout) \(dryRun.stderr)")
        #expect(try tools.messagesIn(["orders", "payments"]) == before)

        // Step 5, first a few named letters with the same fix file: exactly those events apply.
        let few = [fixed[0], fixed[fixed.count / 2], fixed[fixed.count - 1]]
        let first = try tools.run(["dlq", "replay"] + few.map(\.letter) + ["--fix", fixes, "--actor", "runbook test"])
        #expect(first.status == 0 && first.stdout.contains("replayed 3 letters"), "\(first.stdout) \(first.stderr)")
        #expect(
            first.stderr.contains(
                "note: \(invalidCount - 3) fixes of the fix file are for letters this replay does not select"))
        for event in few { _ = reference.apply(topic: event.topic, key: event.key, value: event.value) }
        kpis = try await worker.waitAccounted(messages: totalMessages + 3)
        #expect(
            kpis.body == reference.kpis().json(includeTotalsOnly: true), "the three fixed events applied once, no other"
        )
        #expect(
            kpis.int("events_applied") == reference.kpis().eventsApplied
                && kpis.int("events_duplicate") == normal.reference.eventsDuplicate)

        // Then all of them at a bounded rate: the three already applied count as duplicates.
        let replay = try tools.run(
            ["dlq", "replay"] + selection + ["--fix", fixes, "--rate", "2000/s", "--actor", "runbook test"])
        #expect(
            replay.status == 0 && replay.stdout.contains("replayed \(invalidCount) letters"),
            "\(replay.stdout) \(replay.stderr)")
        for event in fixed { _ = reference.apply(topic: event.topic, key: event.key, value: event.value) }
        #expect(reference.eventsRejected == Int64(invalidCount), "every fix passes the contract")
        kpis = try await worker.waitAccounted(messages: totalMessages + 3 + Int64(invalidCount))
        #expect(kpis.body == reference.kpis().json(includeTotalsOnly: true), "every fixed event applied once")

        // Replaying the same letters again applies nothing: the worker counts duplicates.
        let again = try tools.run(["dlq", "replay"] + selection + ["--fix", fixes, "--actor", "runbook test"])
        #expect(again.status == 0, "\(again.stderr)")
        for event in fixed { _ = reference.apply(topic: event.topic, key: event.key, value: event.value) }
        kpis = try await worker.waitAccounted(messages: totalMessages + 3 + 2 * Int64(invalidCount))
        #expect(
            kpis.body == reference.kpis().json(includeTotalsOnly: true),
            "still once: the second replay only adds duplicates")
        #expect(kpis.int("events_duplicate") == normal.reference.eventsDuplicate + 3 + Int64(invalidCount))

        // Step 6: the record.
        let history = try tools.json(["dlq", "history", "--limit", "100000"]).arrayValue ?? []
        #expect(history.count == 3 + 2 * invalidCount)
        #expect(
            history.allSatisfy {
                $0.objectValue?["fixed"] == .bool(true) && $0.objectValue?["actor"]?.stringValue == "runbook test"
            })
        let operations = try TestEnvironment.query(
            database, "SELECT count(*)::bigint AS n FROM operations WHERE command = 'dlq replay'")
        #expect(try operations.int64(0, "n") == 3)
        let stillThere = try #require(try tools.json(["dlq", "stats"]).objectValue)
        #expect(stillThere["total"]?.integerValue == Int64(invalidCount), "replays re-publish; the letters stay")
    }
}
