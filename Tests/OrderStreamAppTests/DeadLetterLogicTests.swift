import Foundation
import Kafka
import OrderStreamDomain
import OrderStreamTestSupport
import OrderStreamWorker
import Testing

@testable import OrderStreamApp

/// The dead-letter commands' pure parts, without a broker or a database: coordinates, filters,
/// fix files, rates, the replay plan and its refusals, and what is shown to a person.
struct DeadLetterLogicTests {
    static func letter(
        _ coordinates: String, value: String, key: String? = nil, reason: String = "invalid_currency",
        replayCount: Int? = nil, at millis: Int64? = 1_764_158_400_000
    ) throws -> DeadLetter {
        let place = try LetterCoordinates(parsing: coordinates)
        var headers = [
            KafkaHeader(key: "reason", value: Array(reason.utf8)), KafkaHeader(key: "detail", value: Array("d".utf8)),
            KafkaHeader(key: "source_topic", value: Array(place.topic.dropLast(4).utf8)),
            KafkaHeader(key: "source_partition", value: Array("3".utf8)),
            KafkaHeader(key: "source_offset", value: Array("17".utf8)),
        ]
        if let replayCount { headers += ReplayProvenance.headers(replayOf: "orders.dlq:0:1", count: replayCount) }
        return DeadLetter(
            coordinates: place, key: key.map { Array($0.utf8) }, value: Array(value.utf8), headers: headers,
            timestampMillis: millis)
    }

    @Test func coordinatesParseOnlyDeadLetterTopics() throws {
        let parsed = try LetterCoordinates(parsing: "payments.dlq:4:77")
        #expect(parsed == LetterCoordinates(topic: "payments.dlq", partition: 4, offset: 77))
        #expect(parsed.description == "payments.dlq:4:77")
        for bad in [
            "orders.dlq:0", "orders.dlq:x:1", "orders.dlq:0:-1", "orders.dlq:-1:0", "nope.dlq:0:1", "orders:0:5",
            "orders.dlq:0:5:6", "", "orders.dlq::5",
        ] {
            #expect(throws: DeadLetterInputError.self, "\(bad)") { try LetterCoordinates(parsing: bad) }
        }
        #expect(try LetterCoordinates.deadLetterTopic("orders") == "orders.dlq")
        #expect(throws: DeadLetterInputError.self) { try LetterCoordinates.deadLetterTopic("orders.dlq.dlq") }
    }

    @Test func filtersCheckTheirValuesAndMatchLetters() throws {
        let letter = try Self.letter("orders.dlq:0:5", value: #"{"event_id":"e-1","order_id":"ord 1"}"#, key: "k")
        #expect(
            try DeadLetterFilter.make(
                topic: "orders", reason: "invalid_currency", orderId: "ord 1",
                since: "2025-11-26T12:00:00Z", until: "2025-11-26T12:00:01Z"
            ).matches(letter))
        #expect(
            !(try DeadLetterFilter.make(topic: "payments.dlq", reason: nil, orderId: nil, since: nil, until: nil))
                .matches(letter))
        #expect(
            !(try DeadLetterFilter.make(topic: nil, reason: "too_large", orderId: nil, since: nil, until: nil)).matches(
                letter))
        #expect(
            !(try DeadLetterFilter.make(topic: nil, reason: nil, orderId: "k", since: nil, until: nil)).matches(letter),
            "the value's order_id wins over the key")
        #expect(
            !(try DeadLetterFilter.make(
                topic: nil, reason: nil, orderId: nil, since: nil, until: "2025-11-26T12:00:00Z")).matches(letter),
            "until is exclusive")
        #expect(!DeadLetterFilter().narrows)
        #expect(
            try DeadLetterFilter.make(topic: "orders.dlq", reason: nil, orderId: nil, since: nil, until: nil).narrows)
        for (reason, since, until) in [
            ("nope", nil, nil), (nil, "yesterday", nil), (nil, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
        ] as [(String?, String?, String?)] {
            #expect(throws: DeadLetterInputError.self) {
                try DeadLetterFilter.make(topic: nil, reason: reason, orderId: nil, since: since, until: until)
            }
        }
        #expect(throws: DeadLetterInputError.self) {
            try DeadLetterFilter.make(topic: "refunds", reason: nil, orderId: nil, since: nil, until: nil)
        }
    }

    @Test func fixFilesAreJSONLinesOfLetterAndEvent() throws {
        let fixes = try FixFile.parse(
            Array(
                """
                {"letter":"orders.dlq:0:5","event":{"b":1.50,"a":"x"}}

                {"event":{"event_id":"e"},"letter":"payments.dlq:2:9"}
                """.utf8))
        #expect(fixes.count == 2)
        #expect(
            fixes[try LetterCoordinates(parsing: "orders.dlq:0:5")].map { String(decoding: $0, as: UTF8.self) }
                == #"{"a":"x","b":1.50}"#,
            "compact, keys sorted, the number's text kept")
        let broken = [
            "not json", "[1]", #"{"letter":"orders.dlq:0:5"}"#, #"{"letter":"orders.dlq:0:5","event":"x"}"#,
            #"{"letter":"orders:0:5","event":{}}"#, #"{"letter":5,"event":{}}"#,
            #"{"letter":"orders.dlq:0:5","event":{},"note":1}"#,
            "{\"letter\":\"orders.dlq:0:5\",\"event\":{}}\n{\"letter\":\"orders.dlq:0:5\",\"event\":{}}",
        ]
        for text in broken {
            #expect(throws: DeadLetterInputError.self, "\(text)") { try FixFile.parse(Array(text.utf8)) }
        }
        do {
            _ = try FixFile.parse(Array("\n\nnot json".utf8))
            Issue.record("a broken line must be refused")
        } catch {
            #expect(error.description.hasPrefix("fix file line 3:"), "\(error)")
        }
    }

    @Test func ratesAreNumbersPerSecond() throws {
        #expect(try ReplayRate(parsing: "100/s").perSecond == 100)
        #expect(try ReplayRate(parsing: "2.5").perSecond == 2.5)
        for bad in ["0", "-1", "abc", "nan", "inf", "10/m", "", "2000000"] {
            #expect(throws: DeadLetterInputError.self, "\(bad)") { try ReplayRate(parsing: bad) }
        }
        #expect(ReplayRate(perSecond: 4).delay(before: 2) == .milliseconds(500))
    }

    @Test func aReplayGoesToTheOriginWithItsKeyAndProvenance() throws {
        let value = PoisonFixtures.event("order.cancelled", order: "ord-1", id: "e-1")
        let letter = try Self.letter(
            "orders.dlq:2:8", value: value, key: "ord-1", reason: "apply_failed", replayCount: 1)
        let plan = try ReplayPlan.make(letters: [letter], fixes: [:], maxReplays: 3)
        #expect(plan.refusals.isEmpty)
        let item = try #require(plan.items.first)
        #expect(
            item.message.topic == "orders" && item.message.key == Array("ord-1".utf8)
                && item.message.value == Array(value.utf8))
        #expect(item.replayCount == 2 && !item.fixed && item.verdict.event?.eventId == "e-1")
        let headers = Dictionary(
            uniqueKeysWithValues: item.message.headers.map { ($0.key, String(decoding: $0.value ?? [], as: UTF8.self)) }
        )
        #expect(headers == ["replay_of": "orders.dlq:2:8", "replay_count": "2"])
        try plan.requireNoRefusals()
    }

    @Test func theReplayRefusesCappedInvalidAndMismatchedLetters() throws {
        let good = PoisonFixtures.event("order.cancelled", order: "ord-1", id: "e-1")
        let capped = try Self.letter(
            "orders.dlq:0:1", value: good, key: "ord-1", reason: "apply_failed", replayCount: 3)
        let invalid = try Self.letter(
            "orders.dlq:0:2",
            value: good.replacingOccurrences(of: "\"schema_version\":1", with: "\"schema_version\":7"),
            key: "ord-1", reason: "unsupported_version")
        let mismatched = try Self.letter("orders.dlq:0:3", value: good, key: "ord-1")
        let fixedBadly = try Self.letter("orders.dlq:0:4", value: good, key: "ord-1")
        let fixes = [
            try LetterCoordinates(parsing: "orders.dlq:0:3"): Array(
                PoisonFixtures.event("order.cancelled", order: "ord-1", id: "e-other").utf8),
            try LetterCoordinates(parsing: "orders.dlq:0:4"): Array(#"{"event_id":"e-1"}"#.utf8),
        ]
        let plan = try ReplayPlan.make(letters: [capped, invalid, mismatched, fixedBadly], fixes: fixes, maxReplays: 3)
        #expect(plan.items.isEmpty)
        #expect(
            plan.refusals.map(\.letter.description) == [
                "orders.dlq:0:1", "orders.dlq:0:2", "orders.dlq:0:3", "orders.dlq:0:4",
            ])
        #expect(plan.refusals[0].why.contains("replayed 3 times"))
        #expect(plan.refusals[1].why.contains("unsupported_version"))
        #expect(plan.refusals[2].why.contains("e-other"))
        #expect(plan.refusals[3].why.contains("the fix would be rejected again"))
        #expect(throws: DeadLetterInputError.self) { try plan.requireNoRefusals() }
        // A higher cap lets the capped one through; fixes of letters not selected are left out.
        #expect(plan.unusedFixes == 0)
        let uncapped = try ReplayPlan.make(letters: [capped], fixes: fixes, maxReplays: 4)
        #expect(uncapped.items.count == 1 && uncapped.items.first?.fixed == false && uncapped.unusedFixes == 2)
        #expect(throws: DeadLetterInputError.self) { try ReplayPlan.make(letters: [], fixes: [:], maxReplays: 3) }
    }

    @Test func aFixReplacesTheValueAndPassesValidation() throws {
        let bad = PoisonFixtures.event("payment.captured", order: "ord-9", id: "e-9").replacingOccurrences(
            of: "EUR", with: "eur")
        let letter = try Self.letter("payments.dlq:1:0", value: bad, key: "ord-9")
        #expect(
            EventValidator.validate(topic: "payments", key: letter.key, value: letter.value).rejection?.reason
                == .invalidCurrency)
        let fixed = Array(PoisonFixtures.event("payment.captured", order: "ord-9", id: "e-9").utf8)
        let plan = try ReplayPlan.make(letters: [letter], fixes: [letter.coordinates: fixed], maxReplays: 3)
        #expect(
            plan.items.first?.message.value == fixed && plan.items.first?.fixed == true
                && plan.items.first?.message.topic == "payments")
        #expect(
            DeadLetterReplayCommand.dryRunReport(plan).contains(
                "would replay payments.dlq:1:0 to payments (replay 1, fixed): passes validation now"))
    }

    @Test func provenanceIsCarriedAndCounted() {
        let headers =
            [KafkaHeader(key: "trace", value: [1]), KafkaHeader(key: "replay_count", value: Array("x".utf8))]
            + ReplayProvenance.headers(replayOf: "orders.dlq:0:5", count: 2)
        #expect(
            ReplayProvenance.carried(from: headers) == ReplayProvenance.headers(replayOf: "orders.dlq:0:5", count: 2))
        #expect(ReplayProvenance.count(in: headers) == 2)
        #expect(ReplayProvenance.count(in: []) == 0 && ReplayProvenance.carried(from: []).isEmpty)
        #expect(ReplayProvenance.count(in: [KafkaHeader(key: "replay_count", value: Array("-4".utf8))]) == 0)
    }

    @Test func lettersAreShownSafely() throws {
        #expect(SafeText.escaped(Array("a\u{1B}[2Jb\n\\".utf8)) == #"a\u{1B}[2Jb\n\\"#)
        #expect(SafeText.escaped([0x61, 0xFF, 0x00]) == #"a\xFF\x00"#)
        #expect(SafeText.escaped(Array("été".utf8)) == "été")
        let json = try Self.letter("orders.dlq:0:5", value: #"{"event_id":"e-1","data":{"x":[1,"\u001b"]}}"#)
        let shown = DeadLetterRendering.detail(json)
        #expect(
            shown.contains(
                "value (JSON, keys sorted):\n{\n  \"data\": {\n    \"x\": [\n      1,\n      \"\\u001B\"\n    ]\n  },\n  \"event_id\": \"e-1\"\n}"
            )
                || shown.contains("\"\\u001b\""), "\(shown)")
        #expect(!shown.contains("\u{1B}"))
        #expect(shown.contains("rejected: invalid_currency: d") && shown.contains("source:   orders:3:17"))
        let binary = DeadLetter(
            coordinates: try LetterCoordinates(parsing: "orders.dlq:0:6"), key: nil, value: [0xC3, 0x28, 0x0A],
            headers: [], timestampMillis: nil)
        #expect(DeadLetterRendering.detail(binary).hasSuffix("value (3 bytes, not JSON, escaped):\n\\xC3(\\x0A"))
        #expect(binary.reason == "unknown" && binary.sourceTopic == "orders" && binary.orderId == nil)
    }

    @Test func statsCountByTopicAndReason() throws {
        let letters = [
            try Self.letter("orders.dlq:0:1", value: "{}", reason: "malformed", at: 2_000),
            try Self.letter("orders.dlq:1:0", value: "{}", reason: "invalid_field", at: 1_000),
            try Self.letter("payments.dlq:0:0", value: "{}", reason: "malformed", at: 3_000),
        ]
        let stats = DeadLetterStats(letters)
        #expect(stats.total == 3 && stats.byTopic == ["orders.dlq": 2, "payments.dlq": 1])
        #expect(stats.byReason == ["malformed": 2, "invalid_field": 1])
        #expect(
            stats.oldest?.coordinates.description == "orders.dlq:1:0"
                && stats.newest?.coordinates.description == "payments.dlq:0:0")
        #expect(
            stats.json
                == #"{"total":3,"by_topic":{"orders.dlq":2,"payments.dlq":1},"by_reason":{"invalid_field":1,"malformed":2},"oldest":{"letter":"orders.dlq:1:0","written_at":"1970-01-01T00:00:01.000Z"},"newest":{"letter":"payments.dlq:0:0","written_at":"1970-01-01T00:00:03.000Z"}}"#
        )
    }
}

/// `orderstream --help` names the new commands and their flags.
struct DeadLetterHelpTests {
    @Test func theHelpNamesEveryCommandAndFlag() {
        let top = OrderStreamCommand.helpMessage()
        #expect(top.contains("dlq") && top.contains("order "))
        let dlq = OrderStreamCommand.helpMessage(for: DeadLetterCommand.self)
        for name in ["list", "show", "stats", "replay", "history"] { #expect(dlq.contains(name), "\(name)") }
        let replay = OrderStreamCommand.helpMessage(for: DeadLetterReplayCommand.self)
        for flag in [
            "--topic", "--reason", "--order-id", "--since", "--until", "--limit", "--dry-run", "--rate", "--fix",
            "--max-replays", "--actor", "(default: 3)",
        ] {
            #expect(replay.contains(flag), "\(flag)")
        }
        let list = OrderStreamCommand.helpMessage(for: DeadLetterListCommand.self)
        #expect(list.contains("--json") && list.contains("--limit"))
    }
}
