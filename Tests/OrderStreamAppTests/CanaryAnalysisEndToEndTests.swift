import Foundation
import Kafka
import OrderStreamTestSupport
import PostgreSQL
import Testing

/// `cutover --analyze` under fixed-rate load: a green that dead-letters everything is rolled
/// back within its window, saying why; a healthy green is promoted at the end of its window,
/// even when the analysing process is killed halfway and started again.
@Suite(.serialized, .timeLimit(.minutes(6)))
struct CanaryAnalysisEndToEndTests {
    static func environment(_ database: String, _ cluster: TestCluster) -> [String: String] {
        ["ORDERSTREAM_DATABASE_URL": database, "ORDERSTREAM_KAFKA_BROKERS": cluster.bootstrap]
    }

    @Test func aGreenThatDeadLettersEverythingIsRolledBackAndTheAnalysisSaysWhy() async throws {
        let cluster = try TestCluster(partitions: 4)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        let blue = try WorkerProcess.start(cluster: cluster, databaseURL: database, color: "blue", instanceId: "blue-1")
        let green = try WorkerProcess.start(
            cluster: cluster, databaseURL: database, color: "green", instanceId: "bad-green",
            extra: ["ORDERSTREAM_FAULT_INJECTION": "dead-letter-all"])
        defer { [blue, green].forEach { $0.runner.kill() } }
        try await blue.waitReady()
        try await green.waitReady()
        let expected = ExpectedStream(orders: 3_000, duplicates: 0, invalid: 0, seed: 51)
        let publisher = try expected.startPublishing(to: cluster, rate: 1_000)
        defer { publisher.kill() }
        try await Task.sleep(for: .seconds(2))

        let started = ContinuousClock.now
        let analysis = try ProcessRunner.orderstream(
            [
                "cutover", "--to", "green", "--share", "25%", "--analyze", "60s", "--max-dlq-rate", "1%",
                "--max-lag-seconds", "120",
            ],
            environment: Self.environment(database, cluster))
        let took = ContinuousClock.now - started
        #expect(analysis.status == 4, "\(analysis.stdout)\(analysis.stderr)")
        #expect(analysis.stdout.contains("rolled back: dead-letter rate 100.0% > 1.0%"), "\(analysis.stdout)")
        #expect(took < .seconds(60), "rolled back at the first breach, not at the end of the window (\(took))")
        let owners = try TestEnvironment.query(database, "SELECT DISTINCT owner_color FROM partition_positions")
        #expect(try owners.rowCount == 1 && owners.string(0, "owner_color") == "blue")
        let decided = try TestEnvironment.query(database, "SELECT status, reason FROM analyses")
        #expect(
            try decided.string(0, "status") == "rolled_back"
                && decided.string(0, "reason").hasPrefix("dead-letter rate"))

        // The same analysis after a full cutover cuts back over to blue.
        let full = try ProcessRunner.orderstream(
            ["cutover", "--to", "green", "--analyze", "60s", "--max-dlq-rate", "1%"],
            environment: Self.environment(database, cluster))
        #expect(
            full.status == 4 && full.stdout.contains("rolled back: dead-letter rate"), "\(full.stdout)\(full.stderr)")
        let after = try TestEnvironment.query(database, "SELECT active_color FROM consumer_control")
        #expect(try after.string(0, "active_color") == "blue")
        let steps = try TestEnvironment.query(
            database, "SELECT string_agg(kind || ':' || to_color, ',' ORDER BY epoch) AS k FROM cutovers")
        #expect(try steps.string(0, "k") == "canary:green,abort:blue,cutover:green,cutover:blue")

        // Every message is accounted for once: what green dead-lettered is in the DLQ as apply_failed.
        #expect(await publisher.wait(timeout: .seconds(90)) == 0)
        let kpis = try await blue.waitAccounted(messages: expected.messages)
        #expect(kpis.accountedMessages == expected.messages)
        let rejected = try #require(kpis.int("events_rejected"))
        #expect(rejected > 0)
        let letters =
            try cluster.readAll("orders.dlq", expected: 1, timeout: .seconds(10))
            + cluster.readAll("payments.dlq", expected: 1, timeout: .seconds(10))
        // A letter may be written twice, never zero times: green's last batch can be dead-lettered
        // and then fenced by the abort, and blue applies those events.
        #expect(Int64(letters.count) >= rejected)
        #expect(
            letters.allSatisfy { letter in
                letter.headers.contains { $0.key == "reason" && $0.value == Array("apply_failed".utf8) }
            })
    }

    @Test func aHealthyGreenIsPromotedAtTheEndOfItsWindowEvenAcrossARestartOfTheAnalysis() async throws {
        let cluster = try TestCluster(partitions: 4)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        let blue = try WorkerProcess.start(cluster: cluster, databaseURL: database, color: "blue", instanceId: "blue-1")
        let green = try WorkerProcess.start(
            cluster: cluster, databaseURL: database, color: "green", instanceId: "green-1")
        defer { [blue, green].forEach { $0.runner.kill() } }
        try await blue.waitReady()
        try await green.waitReady()
        let expected = ExpectedStream(orders: 3_000, duplicates: 0.05, invalid: 0.01, seed: 52)
        let publisher = try expected.startPublishing(to: cluster, rate: 1_000)
        defer { publisher.kill() }
        try await Task.sleep(for: .seconds(2))

        let arguments = [
            "cutover", "--to", "green", "--share", "25%", "--analyze", "12s", "--max-dlq-rate", "10%",
            "--max-p99", "5s", "--max-lag-seconds", "60",
        ]
        let first = try ProcessRunner.start("analysis-1", arguments, environment: Self.environment(database, cluster))
        let watching = await TestEnvironment.eventually(timeout: .seconds(30)) {
            first.output.contains("analysis #1: watching")
        }
        #expect(watching, "\(first.output)")
        try await Task.sleep(for: .seconds(2))
        first.kill()
        _ = await first.wait(timeout: .seconds(10))

        let second = try ProcessRunner.orderstream(arguments, environment: Self.environment(database, cluster))
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(second.stdout.contains("resuming analysis #1"), "\(second.stdout)")
        #expect(second.stdout.contains("analysis passed: promoted"), "\(second.stdout)")
        let kinds = try TestEnvironment.query(
            database, "SELECT string_agg(kind, ',' ORDER BY epoch) AS k FROM cutovers"
        ).string(0, "k")
        #expect(kinds == "canary,cutover", "one canary step, then the promotion")
        let decided = try TestEnvironment.query(database, "SELECT status FROM analyses")
        #expect(try decided.rowCount == 1 && decided.string(0, "status") == "promoted")
        let p99 = try TestEnvironment.query(
            database, "SELECT apply_p99_seconds FROM workers WHERE instance_id = 'green-1'")
        #expect(
            try p99.decodeIfPresent(Double.self, row: 0, column: "apply_p99_seconds") != nil, "green reports its p99")

        #expect(await publisher.wait(timeout: .seconds(90)) == 0)
        let kpis = try await green.waitAccounted(messages: expected.messages)
        #expect(kpis.body == expected.totalsJSON)
    }

    @Test func badAnalysisOptionsAreRefused() throws {
        for (arguments, message) in [
            (["--to", "green", "--max-dlq-rate", "1%"], "need --analyze"),
            (["--to", "green", "--analyze", "soon"], "--analyze must be a positive duration"),
            (["--to", "green", "--analyze", "5m", "--max-dlq-rate", "150%"], "--max-dlq-rate must be a percentage"),
            (["--to", "green", "--analyze", "5m", "--max-p99", "fast"], "--max-p99 must be a positive duration"),
            (["--abort", "--analyze", "5m"], "--abort cannot be analyzed"),
            (["--to", "green", "--share", "100%"], "--share must be a percentage above 0 and below 100"),
            (["--to", "green", "--partitions", "orders:x"], "is not a partition number"),
            (["--to", "green", "--share", "25%", "--promote"], "give at most one of"),
            (["--abort", "--to", "blue"], "--abort takes no --to"),
        ] {
            let answer = try ProcessRunner.orderstream(["cutover"] + arguments)
            #expect(answer.status == 64 && answer.stderr.contains(message), "\(arguments): \(answer.stderr)")
        }
    }
}
