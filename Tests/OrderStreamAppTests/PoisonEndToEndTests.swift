import Foundation
import OrderStreamDomain
import OrderStreamLoadGen
import OrderStreamTestSupport
import PostgreSQL
import Testing

/// Events that PostgreSQL refuses, published between valid events on several partitions of both
/// topics, through a worker process: every valid event applies, each poison lands in the DLQ
/// with `apply_failed` (or its contract reason), the KPIs are exact, the worker never restarts.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct PoisonEndToEndTests {
    @Test func noPoisonStopsAPartition() async throws {
        let cluster = try TestCluster(partitions: 6)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        let setup = try await PGConnection.connect(
            try PGConnectionConfiguration(database), logger: TestEnvironment.logger())
        try PoisonFixtures.install(on: setup)
        setup.close()

        // A realistic stream (with publisher retries), poisons of each class spread through it,
        // and two values the contract itself rejects (a NUL in a string, an amount over 10^12).
        let generated = Array(
            LoadGenerator(
                orders: 1_500, duplicates: 0.05, invalid: 0, seed: 99,
                startMicros: RFC3339.parseMicros("2026-11-26T12:00:00Z")!))
        var lines = generated.map { String(decoding: $0.value, as: UTF8.self) }
        let poisons = [
            PoisonFixtures.event("order.cancelled", order: "poison-22-a", id: "x-22-a"),
            PoisonFixtures.event("order.cancelled", order: "poison-22-b", id: "x-22-b"),
            PoisonFixtures.event("order.cancelled", order: "poison-23-a", id: "x-23-a"),
            PoisonFixtures.event("payment.captured", order: "poison-23-b", id: "x-23-b"),
            PoisonFixtures.event("payment.authorized", order: "poison-54-a", id: "x-54-a").replacingOccurrences(
                of: #""currency":"EUR"}"#, with: #""currency":"EUR","method":"card"}"#),
            PoisonFixtures.event("payment.captured", order: "overflow-1", id: "x-overflow"),
        ]
        let contractRejects = [
            PoisonFixtures.event("order.cancelled", order: "nul-1", id: "x-nul", customer: #"cus\u0000nul"#),
            PoisonFixtures.event("payment.captured", order: "big-1", id: "x-big").replacingOccurrences(
                of: "1000000000000", with: "1000000000001"),
        ]
        for (index, line) in (poisons + contractRejects).enumerated() {
            lines.insert(line, at: (index + 1) * lines.count / (poisons.count + contractRejects.count + 1))
        }
        // The independent computation: the reference model of every line but the poisons.
        var reference = ReferenceModel()
        for line in lines where !poisons.contains(line) {
            let value = Array(line.utf8)
            let object = try #require(try JSONParser.parse(value).objectValue)
            let type = try #require(EventType(rawValue: object["event_type"]?.stringValue ?? ""))
            reference.apply(
                topic: type.topic.rawValue, key: object["order_id"]?.stringValue.map { Array($0.utf8) }, value: value)
        }
        var wanted = reference.kpis()
        wanted.eventsRejected += Int64(poisons.count)
        #expect(
            reference.eventsRejected == Int64(contractRejects.count), "the contract rejects NUL and amounts over 10^12")

        let worker = try WorkerProcess.start(
            cluster: cluster, databaseURL: database, instanceId: "poison",
            extra: ["ORDERSTREAM_BATCH_SIZE": "500"])
        defer { worker.runner.kill() }
        try await worker.waitReady()
        let file =
            (ProcessInfo.processInfo.environment["ORDERSTREAM_TEST_TMP"] ?? NSTemporaryDirectory())
            + "/poison-\(UUID().uuidString.prefix(6)).jsonl"
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let published = try ProcessRunner.orderstream(
            ["publish", file], environment: ["ORDERSTREAM_KAFKA_BROKERS": cluster.bootstrap])
        #expect(published.status == 0, "\(published.stderr)")

        let kpis = try await worker.waitAccounted(messages: Int64(lines.count), timeout: .seconds(120))
        #expect(kpis.body == wanted.json(includeTotalsOnly: true))
        #expect(worker.runner.isRunning, "the worker must never stop or restart on input")

        // The poisons in the dead-letter topics with apply_failed and their SQLSTATE, from
        // several partitions; the contract's own rejections with their reasons.
        var reasons: [String: String] = [:]
        var partitions = Set<String>()
        for topic in ["orders", "payments"] {
            let count =
                poisons.filter { $0.contains("order.") == (topic == "orders") }.count
                + contractRejects.filter { $0.contains("order.") == (topic == "orders") }.count
            for letter in try cluster.readAll(topic + ".dlq", expected: count) {
                let headers = Dictionary(
                    letter.headers.map { ($0.key, String(decoding: $0.value ?? [], as: UTF8.self)) }
                ) { a, _ in a }
                let id = try #require(try JSONParser.parse(letter.value).objectValue?["event_id"]?.stringValue)
                reasons[id] = (headers["reason"] ?? "") + " " + (headers["detail"] ?? "")
                if headers["reason"] == "apply_failed" {
                    partitions.insert(topic + ":" + (headers["source_partition"] ?? ""))
                }
            }
        }
        for (id, state) in [
            ("x-22-a", "22003"), ("x-22-b", "22003"), ("x-23-a", "23514"), ("x-23-b", "23514"),
            ("x-54-a", "54000"), ("x-overflow", "22003"),
        ] {
            #expect(
                reasons[id]?.hasPrefix("apply_failed SQLSTATE \(state)") == true, "\(id): \(reasons[id] ?? "missing")")
        }
        #expect(reasons["x-nul"]?.hasPrefix("invalid_field") == true, "\(reasons["x-nul"] ?? "missing")")
        #expect(reasons["x-big"]?.hasPrefix("invalid_amount") == true, "\(reasons["x-big"] ?? "missing")")
        #expect(partitions.count >= 3, "poisons on several partitions: \(partitions)")

        let metrics = try await HTTPProbe.get(worker.baseURL + "/metrics").body
        #expect(
            metrics.contains(#"orderstream_apply_failed_total{topic="orders"} 3"#),
            "\(metrics.split(separator: "\n").filter { $0.contains("apply_failed") })")
        #expect(metrics.contains(#"orderstream_apply_failed_total{topic="payments"} 3"#))
        let stalled = metrics.split(separator: "\n").filter {
            $0.hasPrefix("orderstream_partition_stalled{") && $0.hasSuffix(" 1")
        }
        #expect(stalled.isEmpty, "\(stalled)")
        let ready = try await HTTPProbe.get(worker.baseURL + "/health/ready")
        #expect(ready.status == 200, "\(ready.body)")
    }
}
