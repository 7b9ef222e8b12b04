import Foundation
import Kafka
import OrderStreamDomain
import OrderStreamLoadGen
import OrderStreamTestSupport
import PostgreSQL
import Testing

/// `orderstream relay` end to end: a simulated service writes orders and payments into its own
/// outbox (real PostgreSQL), a share of its transactions rolled back, while two relay processes
/// publish to the embedded broker (over TCP) and a worker applies. One relay is SIGKILLed and
/// restarted, and the broker goes down and up. Every committed event reaches the worker, no
/// rolled-back one does, each order's events are in commit order on their partition, invalid
/// rows are parked, and `/kpis` equals the reference model of the committed rows.
struct RelayNotReady: Error, CustomStringConvertible {
    let log: String
    var description: String { "relay not ready; its log:\n\(log)" }
}

@Suite(.serialized, .timeLimit(.minutes(6)))
struct RelayEndToEndTests {
    struct Written: Sendable {
        var committed: [(order: String, eventId: String, topic: String, value: [UInt8])] = []
        var rolledBack: Set<String> = []
    }

    static func startRelay(_ name: String, cluster: TestCluster, database: String) throws -> (ProcessRunner, Int) {
        let port = TestEnvironment.freePort()
        let runner = try ProcessRunner.start(
            "relay-\(name)",
            [
                "relay", "--http-port", String(port), "--instance-id", name, "--batch-size", "100", "--poll-interval",
                "0.5",
                "--delivery-timeout", "30",
            ],
            environment: [
                "ORDERSTREAM_KAFKA_BROKERS": cluster.bootstrap, "ORDERSTREAM_DATABASE_URL": database,
                "ORDERSTREAM_HTTP_HOST": "127.0.0.1", "ORDERSTREAM_LOG_LEVEL": "info",
            ])
        return (runner, port)
    }

    static func waitReady(_ port: Int, _ runner: ProcessRunner) async throws {
        let ready = await TestEnvironment.eventually(timeout: .seconds(30)) {
            await HTTPProbe.tryGet("http://127.0.0.1:\(port)/health/ready")?.status == 200
        }
        guard ready else { throw RelayNotReady(log: String(runner.output.suffix(2_000))) }
    }

    /// One writer session: its orders' events, one transaction each, interleaved across its
    /// orders; `rollback` of them rolled back.
    static func write(
        orders: [[GeneratedMessage]], database: String, seed: UInt64, rollback: Double
    ) async throws -> Written {
        let connection = try await PGConnection.connect(
            try PGConnectionConfiguration(database), logger: TestEnvironment.logger())
        defer { connection.close() }
        var random = SplitMix64(seed: seed)
        var cursors = [Int](repeating: 0, count: orders.count)
        var written = Written()
        var remaining = orders.reduce(0) { $0 + $1.count }
        while remaining > 0 {
            let pick = Int(random.next() % UInt64(orders.count))
            guard cursors[pick] < orders[pick].count else { continue }
            let message = orders[pick][cursors[pick]]
            cursors[pick] += 1
            remaining -= 1
            let object = try #require(try JSONParser.parse(message.value).objectValue)
            let eventId = try #require(object["event_id"]?.stringValue)
            let orderId = try #require(object["order_id"]?.stringValue)
            try await connection.execute("BEGIN")
            try await connection.execute(
                "INSERT INTO orderstream_outbox (event_id, order_id, topic, payload) VALUES ($1, $2, $3, $4)",
                [eventId, orderId, message.topic.rawValue, String(decoding: message.value, as: UTF8.self)])
            if random.chance(rollback) {
                try await connection.execute("ROLLBACK")
                written.rolledBack.insert(eventId)
            } else {
                try await connection.execute("COMMIT")
                written.committed.append((orderId, eventId, message.topic.rawValue, message.value))
            }
            try await Task.sleep(for: .milliseconds(12))
        }
        return written
    }

    @Test func committedEventsArriveOnceInCommitOrderThroughACrashAndABrokerOutage() async throws {
        let cluster = try TestCluster(partitions: 6)
        defer { cluster.close() }
        let workerDatabase = try TestEnvironment.freshDatabase()
        let serviceDatabase = try TestEnvironment.freshDatabase(migrated: false)

        // The service applies the DDL the relay prints (twice: it is idempotent); it is the
        // file shipped in docs/.
        let ddl = try ProcessRunner.orderstream(["relay", "--print-ddl"])
        #expect(ddl.status == 0, "\(ddl.stderr)")
        let shipped = try String(
            contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("docs/outbox.sql"), encoding: .utf8)
        #expect(ddl.stdout == shipped, "docs/outbox.sql is `orderstream relay --print-ddl`")
        let setup = try await PGConnection.connect(
            try PGConnectionConfiguration(serviceDatabase), logger: TestEnvironment.logger())
        try setup.executeScript(ddl.stdout)
        try setup.executeScript(ddl.stdout)

        let worker = try WorkerProcess.start(cluster: cluster, databaseURL: workerDatabase, instanceId: "relay-e2e")
        defer { worker.runner.kill() }
        var (relayA, portA) = try Self.startRelay("a", cluster: cluster, database: serviceDatabase)
        let (relayB, portB) = try Self.startRelay("b", cluster: cluster, database: serviceDatabase)
        defer { relayA.kill(); relayB.kill() }
        try await worker.waitReady()
        try await Self.waitReady(portA, relayA)
        try await Self.waitReady(portB, relayB)

        // 400 orders of realistic flows, split over 4 writer sessions by order.
        let generated = Array(
            LoadGenerator(
                orders: 400, duplicates: 0, invalid: 0, seed: 21,
                startMicros: RFC3339.parseMicros("2026-11-26T12:00:00Z")!))
        var byOrder: [String: [GeneratedMessage]] = [:]
        var orderIds: [String] = []
        for message in generated {
            let id = try #require(try JSONParser.parse(message.value).objectValue?["order_id"]?.stringValue)
            if byOrder[id] == nil { orderIds.append(id) }
            byOrder[id, default: []].append(message)
        }
        let shares = (0..<4).map { writer in
            orderIds.enumerated().filter { $0.offset % 4 == writer }.map { byOrder[$0.element]! }
        }

        let writers = (0..<4).map { writer in
            Task {
                try await Self.write(
                    orders: shares[writer], database: serviceDatabase, seed: UInt64(100 + writer), rollback: 0.15)
            }
        }
        // Three invalid rows, committed: parked, never published.
        for index in 0..<3 {
            let bad =
                #"{"event_id":"bad-\#(index)","event_type":"payment.captured","schema_version":1,"occurred_at":"2026-11-26T12:00:00Z","order_id":"bad-\#(index)","customer_id":"c","data":{"payment_id":"p","amount_cents":1,"currency":"eur"}}"#
            try await setup.execute(
                "INSERT INTO orderstream_outbox (event_id, order_id, topic, payload) VALUES ($1, $2, 'payments', $3)",
                ["bad-\(index)", "bad-\(index)", bad])
        }

        // Chaos while the service writes: kill relay A, restart it, take the broker down and up.
        try await Task.sleep(for: .seconds(1.5))
        relayA.signal(SIGKILL)
        _ = await relayA.wait(timeout: .seconds(5))
        try await Task.sleep(for: .seconds(1))
        (relayA, portA) = try Self.startRelay("a2", cluster: cluster, database: serviceDatabase)
        try await Task.sleep(for: .seconds(1))
        try await Self.waitReady(portA, relayA)
        try cluster.cluster.setBrokerDown(1)
        let outageStart = ContinuousClock.now
        // Either librdkafka reports every broker down, or a batch waits over 5 s for its
        // acknowledgements: both make the relay not ready.
        let notReady = await TestEnvironment.eventually(timeout: .seconds(20)) {
            guard let answer = await HTTPProbe.tryGet("http://127.0.0.1:\(portB)/health/ready") else { return false }
            return answer.status == 503 && answer.body.contains("Kafka is")
        }
        #expect(notReady, "the relay reports Kafka unreachable during the outage")
        let left = .seconds(3) - (ContinuousClock.now - outageStart)
        if left > .zero { try await Task.sleep(for: left) }
        let heldBack = try await setup.query(
            "SELECT count(*) FROM orderstream_outbox WHERE published_at IS NULL AND parked_reason IS NULL"
        ).int64(0, 0)
        #expect(heldBack > 0, "the outage held committed rows back")
        try cluster.cluster.setBrokerUp(1)

        var written = Written()
        for writer in writers {
            let part = try await writer.value
            written.committed += part.committed
            written.rolledBack.formUnion(part.rolledBack)
        }
        #expect(written.rolledBack.count > 50 && written.committed.count > 1_000, "a real share rolled back")

        // The outbox drains; the worker applies every committed event.
        let drained = try await TestEnvironment.eventually(timeout: .seconds(90), every: .milliseconds(500)) {
            try await setup.query(
                "SELECT count(*) FROM orderstream_outbox WHERE published_at IS NULL AND parked_reason IS NULL"
            ).int64(0, 0) == 0
        }
        try await Self.waitReady(portB, relayB)
        #expect(drained, "relay A: \(relayA.output.suffix(1_500))\nrelay B: \(relayB.output.suffix(1_500))")
        let parked = try await setup.query(
            "SELECT event_id, parked_reason FROM orderstream_outbox WHERE parked_reason IS NOT NULL ORDER BY event_id")
        #expect(parked.rowCount == 3)
        for row in 0..<parked.rowCount { #expect(try parked.string(row, 1) == "invalid_currency") }

        var reference = ReferenceModel()
        for event in written.committed {
            reference.apply(topic: event.topic, key: Array(event.order.utf8), value: event.value)
        }
        let applied = await TestEnvironment.eventually(timeout: .seconds(90), every: .milliseconds(500)) {
            (try? await worker.kpis())?.int("events_applied") == Int64(written.committed.count)
        }
        #expect(applied)
        let kpis = try await worker.kpis()
        var wanted = reference.kpis()
        wanted.eventsDuplicate = kpis.int("events_duplicate") ?? -1  // re-publications after the crash, absorbed
        #expect(kpis.body == wanted.json(includeTotalsOnly: true))
        #expect(kpis.int("events_rejected") == 0, "nothing invalid was published")

        // On the wire: every committed event, no rolled-back or parked one, and each order's
        // events (first copies) in commit order on one partition per topic.
        let ordersCount = written.committed.filter { $0.topic == "orders" }.count
        let messages =
            try cluster.readAll("orders", expected: ordersCount)
            + cluster.readAll("payments", expected: written.committed.count - ordersCount)
        var first: [String: (partition: Int32, offset: Int64)] = [:]
        for message in messages.sorted(by: { ($0.partition, $0.offset) < ($1.partition, $1.offset) }) {
            let id = try #require(try JSONParser.parse(message.value).objectValue?["event_id"]?.stringValue)
            if first[id] == nil { first[id] = (message.partition, message.offset) }
        }
        #expect(Set(first.keys) == Set(written.committed.map(\.eventId)))
        #expect(first.keys.allSatisfy { !written.rolledBack.contains($0) && !$0.hasPrefix("bad-") })
        var lastByOrderTopic: [String: (partition: Int32, offset: Int64)] = [:]
        var outOfOrder: [String] = []
        for event in written.committed {
            guard let position = first[event.eventId] else { continue }
            let key = event.order + "/" + event.topic
            if let last = lastByOrderTopic[key], last.partition != position.partition || last.offset >= position.offset
            {
                outOfOrder.append(key)
            }
            lastByOrderTopic[key] = position
        }
        #expect(outOfOrder.isEmpty, "out of commit order: \(outOfOrder.prefix(5))")

        // The relay's metrics.
        let metrics = try await HTTPProbe.get("http://127.0.0.1:\(portB)/metrics")
        #expect(metrics.body.contains("orderstream_relay_published_total"))
        #expect(metrics.body.contains("orderstream_relay_rows_pending 0"))
        setup.close()
        print(
            "relay e2e: \(written.committed.count) committed, \(written.rolledBack.count) rolled back, \(heldBack) held back by the outage, "
                + "\(kpis.int("events_duplicate") ?? -1) re-published after the crash")
    }
}
