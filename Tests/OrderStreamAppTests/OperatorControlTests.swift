import Foundation
import Kafka
import OrderStreamDomain
import OrderStreamTestSupport
import PostgreSQL
import Testing

/// `offsets reset`, `pause` and `resume` against running worker processes: the change reaches
/// the workers at once, is fenced, survives restarts and cutovers, and keeps exactly once.
@Suite(.serialized, .timeLimit(.minutes(6)))
struct OperatorControlTests {
    static func run(
        _ arguments: [String], database: String, cluster: TestCluster
    ) throws
        -> (status: Int32, stdout: String, stderr: String)
    {
        try ProcessRunner.orderstream(
            arguments,
            environment: ["ORDERSTREAM_DATABASE_URL": database, "ORDERSTREAM_KAFKA_BROKERS": cluster.bootstrap])
    }

    static func position(_ database: String, _ topic: String, _ partition: Int32) throws -> Int64 {
        try TestEnvironment.query(
            database, "SELECT next_offset FROM partition_positions WHERE topic = $1 AND partition = $2",
            [topic, partition]
        )
        .int64(0, "next_offset")
    }

    static func highWatermarks(_ cluster: TestCluster, _ topic: String) throws -> [Int32: Int64] {
        let client = try KafkaConsumer(
            configuration: ["bootstrap.servers": cluster.bootstrap, "group.id": "watermarks"],
            logger: TestEnvironment.logger())
        defer { client.close() }
        var marks: [Int32: Int64] = [:]
        for partition in 0..<cluster.partitions {
            marks[partition] = try client.watermarks(topic: topic, partition: partition, timeout: .seconds(5)).high
        }
        return marks
    }

    /// Offsets consumed less what operators moved equals what was applied, skipped as a duplicate
    /// or dead-lettered: the ledger a cutover verifies.
    static func ledgerBalances(_ database: String) throws -> Bool {
        let row = try TestEnvironment.query(
            database,
            """
            SELECT (SELECT sum(next_offset - offsets_moved_by_operators) FROM partition_positions)::bigint AS consumed,
                   (SELECT sum(events_duplicate + events_rejected) FROM partition_positions)::bigint
                 + (SELECT count(*) FROM applied_events)::bigint AS accounted
            """)
        return try row.int64(0, "consumed") == row.int64(0, "accounted")
    }

    @Test func aResetBackInTimeUnderLoadReadsEventsAgainAsDuplicatesAndKPIsStayExact() async throws {
        let cluster = try TestCluster(partitions: 4)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        let worker = try WorkerProcess.start(cluster: cluster, databaseURL: database)
        defer { worker.runner.kill() }
        try await worker.waitReady()

        let expected = ExpectedStream(orders: 2_500, duplicates: 0, invalid: 0, seed: 31)
        let publisher = try expected.startPublishing(to: cluster, rate: 1_000)
        defer { publisher.kill() }
        try await Task.sleep(for: .seconds(5))
        let back = RFC3339.formatMillis(Int64((Date().timeIntervalSince1970 - 3) * 1_000_000))
        let reset = try Self.run(
            ["offsets", "reset", "--topic", "orders", "--to-time", back, "--actor", "test-operator"],
            database: database, cluster: cluster)
        #expect(reset.status == 0, "\(reset.stderr)")
        // "orders[2]: 1510 -> 1204 (reads 306 again)": what was read again, per partition.
        let reread = reset.stdout.split(separator: "\n").compactMap { line -> Int64? in
            guard let range = line.range(of: "(reads ") else { return nil }
            return Int64(line[range.upperBound...].split(separator: " ")[0])
        }.reduce(0, +)
        #expect(reread > 0, "\(reset.stdout)")

        #expect(await publisher.wait(timeout: .seconds(120)) == 0)
        let kpis = try await worker.waitAccounted(messages: expected.messages + reread)
        try await Task.sleep(for: .seconds(1))
        let settled = try await worker.kpis()
        #expect(settled.accountedMessages == expected.messages + reread, "every event read again exactly once")
        let reference = try KPIJSON(status: 200, body: expected.totalsJSON)
        for (name, value) in reference.fields where name != "events_duplicate" {
            #expect(kpis.fields[name] == value, "\(name)")
        }
        #expect(settled.int("events_duplicate") == (reference.int("events_duplicate") ?? 0) + reread)
        #expect(try Self.ledgerBalances(database))

        let status = try Self.run(["status", "--json"], database: database, cluster: cluster)
        #expect(status.stdout.contains("\"command\":\"offsets reset\""), "\(status.stdout)")
        #expect(status.stdout.contains("\"actor\":\"test-operator\""), "\(status.stdout)")
    }

    @Test func aPauseHoldsAcrossARestartAndACutoverAndAForwardResetSkipsExactlyThoseEvents() async throws {
        let cluster = try TestCluster(partitions: 4)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        var blue = try WorkerProcess.start(cluster: cluster, databaseURL: database, color: "blue", instanceId: "blue-1")
        let green = try WorkerProcess.start(
            cluster: cluster, databaseURL: database, color: "green", instanceId: "green-1")
        defer {
            blue.runner.kill()
            green.runner.kill()
        }
        try await blue.waitReady()
        try await green.waitReady()

        let first = ExpectedStream(orders: 300, duplicates: 0, invalid: 0, seed: 5)
        #expect(try first.publish(to: cluster).status == 0)
        _ = try await blue.waitAccounted(messages: first.messages)

        let pause = try Self.run(
            ["pause", "--topic", "orders", "--partition", "0", "--actor", "ops-test"],
            database: database, cluster: cluster)
        #expect(pause.status == 0 && pause.stdout.contains("paused orders[0]"), "\(pause.stdout)\(pause.stderr)")
        let pausedAt = try Self.position(database, "orders", 0)

        let second = ExpectedStream(orders: 300, duplicates: 0, invalid: 0, seed: 6, start: "2026-11-26T15:00:00Z")
        #expect(try second.publish(to: cluster).status == 0)
        let orders = try Self.highWatermarks(cluster, "orders")
        let payments = try Self.highWatermarks(cluster, "payments")
        let caughtUp = try await TestEnvironment.eventually(timeout: .seconds(60)) {
            try (1..<cluster.partitions).allSatisfy { try Self.position(database, "orders", $0) == orders[$0] }
                && (0..<cluster.partitions).allSatisfy { try Self.position(database, "payments", $0) == payments[$0] }
        }
        #expect(caughtUp, "every partition but the paused one catches up")
        #expect(try Self.position(database, "orders", 0) == pausedAt)
        #expect(orders[0]! > pausedAt + 5, "the paused partition has a backlog")

        // A restarted worker holds it too.
        blue.runner.signal(SIGTERM)
        #expect(await blue.runner.wait(timeout: .seconds(30)) == 0)
        blue = try WorkerProcess.start(cluster: cluster, databaseURL: database, color: "blue", instanceId: "blue-2")
        try await blue.waitReady()
        try await Task.sleep(for: .seconds(3))
        #expect(try Self.position(database, "orders", 0) == pausedAt)

        // A cutover does not wait for it, and the new owner holds it.
        let cutover = try ZeroDowntimeTests.cutover(to: "green", database: database, cluster: cluster)
        #expect(cutover.status == 0, "\(cutover.output)")
        try await Task.sleep(for: .seconds(2))
        let row = try TestEnvironment.query(
            database,
            "SELECT owner_color, paused, paused_by FROM partition_positions WHERE topic = 'orders' AND partition = 0")
        #expect(
            try row.string(0, "owner_color") == "green" && row.bool(0, "paused")
                && row.string(0, "paused_by") == "ops-test")
        #expect(try Self.position(database, "orders", 0) == pausedAt)

        // Skip five events while paused, then resume: green catches up on the rest.
        let skip = try Self.run(
            ["offsets", "reset", "--topic", "orders", "--partition", "0", "--shift", "5"],
            database: database, cluster: cluster)
        #expect(
            skip.status == 0 && skip.stdout.contains("orders[0]: \(pausedAt) -> \(pausedAt + 5) (skips 5)"),
            "\(skip.stdout)\(skip.stderr)")
        let resume = try Self.run(
            ["resume", "--topic", "orders", "--partition", "0"], database: database, cluster: cluster)
        #expect(resume.status == 0 && resume.stdout.contains("resumed orders[0]"), "\(resume.stdout)\(resume.stderr)")
        let resumed = try await TestEnvironment.eventually(timeout: .seconds(60)) {
            try Self.position(database, "orders", 0) == orders[0]
        }
        #expect(resumed, "the resumed partition catches up")

        // Exactly the five skipped events are missing; everything else was applied once.
        let total = orders.values.reduce(0, +)
        let messages = try cluster.readAll("orders", expected: Int(total))
        let skippedIds = messages.filter { $0.partition == 0 && (pausedAt..<(pausedAt + 5)).contains($0.offset) }
            .compactMap { (try? JSONParser.parse($0.value))?.objectValue?["event_id"]?.stringValue }
        #expect(skippedIds.count == 5)
        let found = try TestEnvironment.query(
            database, "SELECT count(*)::bigint AS n FROM applied_events WHERE event_id = ANY($1)", [skippedIds])
        #expect(try found.int64(0, "n") == 0)
        let applied = try TestEnvironment.query(database, "SELECT count(*)::bigint AS n FROM applied_events")
        #expect(try applied.int64(0, "n") == first.messages + second.messages - 5)
        #expect(try Self.ledgerBalances(database))

        let audit = try TestEnvironment.query(
            database, "SELECT string_agg(command, ',' ORDER BY id) AS c FROM operations")
        #expect(try audit.string(0, "c") == "pause,offsets reset,resume")
    }

    @Test func badOperatorCommandsAreRefusedAndChangeNothing() async throws {
        let cluster = try TestCluster(partitions: 2)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        let unknownGroup = try Self.run(["pause", "--topic", "orders"], database: database, cluster: cluster)
        #expect(
            unknownGroup.status != 0 && unknownGroup.stderr.contains("no worker has consumed it yet"),
            "\(unknownGroup.stderr)")
        for (arguments, message) in [
            (["pause", "--topic", "shipments"], "--topic must be one of orders, payments"),
            (["pause", "--topic", "orders", "--partition", "-1"], "--partition must be 0 or more"),
            (["pause", "--topic", "orders", "--actor", " "], "--actor must be 1 to 200 printable characters"),
            (["offsets", "reset", "--topic", "orders"], "give exactly one of --to-offset, --to-time and --shift"),
            (["offsets", "reset", "--topic", "orders", "--shift", "1", "--to-offset", "3"], "give exactly one of"),
            (
                ["offsets", "reset", "--topic", "orders", "--to-time", "yesterday"],
                "--to-time must be an RFC 3339 time"
            ),
            (["offsets", "reset", "--topic", "orders", "--to-offset", "-2"], "--to-offset must be 0 or more"),
            (["offsets", "reset", "--topic", "orders", "--shift", "-3"], "no worker has consumed it yet"),
        ] {
            let answer = try Self.run(arguments, database: database, cluster: cluster)
            #expect(answer.status != 0 && answer.stderr.contains(message), "\(arguments): \(answer.stderr)")
        }
        let audit = try TestEnvironment.query(database, "SELECT count(*)::bigint AS n FROM operations")
        #expect(try audit.int64(0, "n") == 0)
    }
}
