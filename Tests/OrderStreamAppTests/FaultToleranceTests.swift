import Foundation
import OrderStreamDomain
import OrderStreamLoadGen
import OrderStreamTestSupport
import Testing

/// Exactness whatever happens to the processes: crashes, several workers, a database restart.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct FaultToleranceTests {
    @Test func killingTheWorkerAtRandomMomentsLosesAndDoublesNothing() async throws {
        let cluster = try TestCluster(partitions: 6)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        // About 15,000 messages at 350/s: the publisher runs ~43 s, through all five kills (each
        // restart waits ~4 s for the killed member's session to time out).
        let expected = ExpectedStream(orders: 4_000, duplicates: 0.05, invalid: 0.01, seed: 7)
        let publisher = try expected.startPublishing(to: cluster, rate: 350)
        defer { publisher.kill() }
        var random = SplitMix64(seed: 2026)
        var kills = 0
        var appliedAtKills: [Int64] = []
        var worker = try WorkerProcess.start(cluster: cluster, databaseURL: database, instanceId: "crash-0")
        while kills < 5 {
            try await worker.waitReady()
            // Let it consume for a random while, then kill it without warning.
            try await Task.sleep(for: .milliseconds(300 + Int(random.next() % 1_200)))
            // A failed read fails the test: a made-up number would satisfy the check below.
            let applied = try #require(try await worker.kpis().int("events_applied"), "no events_applied in /kpis")
            appliedAtKills.append(applied)
            worker.runner.signal(SIGKILL)
            _ = await worker.runner.wait(timeout: .seconds(5))
            kills += 1
            print("crash safety: kill \(kills) at events_applied=\(applied)")
            worker = try WorkerProcess.start(cluster: cluster, databaseURL: database, instanceId: "crash-\(kills)")
        }
        defer { worker.runner.kill() }
        try await worker.waitReady()
        #expect(await publisher.wait(timeout: .seconds(60)) == 0)
        let kpis = try await worker.waitAccounted(messages: expected.messages, timeout: .seconds(120))
        #expect(kills == 5)
        let lastKill = try #require(appliedAtKills.last)
        #expect(lastKill < expected.reference.kpis().eventsApplied, "the kills came after everything was applied")
        #expect(kpis.body == expected.totalsJSON)
    }

    @Test func twoWorkersInOneGroupAreExact() async throws {
        let cluster = try TestCluster(partitions: 6)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        let first = try WorkerProcess.start(cluster: cluster, databaseURL: database, instanceId: "pair-a")
        defer { first.runner.kill() }
        try await first.waitReady()
        let second = try WorkerProcess.start(cluster: cluster, databaseURL: database, instanceId: "pair-b")
        defer { second.runner.kill() }
        try await second.waitReady()
        let expected = ExpectedStream(orders: 8_000, duplicates: 0.05, invalid: 0.01, seed: 11)
        let published = try expected.publish(to: cluster, rate: 10_000)
        #expect(published.status == 0)
        let kpis = try await first.waitAccounted(messages: expected.messages)
        #expect(kpis.body == expected.totalsJSON)
        #expect(try await second.kpis().body == expected.totalsJSON)
        // Both took part: each owns some partitions and applied some events.
        for worker in [first, second] {
            let metrics = try await HTTPProbe.get(worker.baseURL + "/metrics").body
            #expect(
                (Self.sample("orderstream_events_applied_total", in: metrics) ?? 0) > 0,
                "\(worker.instanceId) applied nothing")
            // The time inside the worker is a part of publish-to-commit, counted for the same
            // events: never more (up to the millisecond the Kafka timestamp truncates).
            let fetchCount = try #require(Self.sample("orderstream_fetch_to_commit_seconds_count", in: metrics))
            let publishCount = try #require(Self.sample("orderstream_publish_to_commit_seconds_count", in: metrics))
            #expect(fetchCount == publishCount && fetchCount > 0)
            let fetchSum = try #require(Self.sample("orderstream_fetch_to_commit_seconds_sum", in: metrics))
            let publishSum = try #require(Self.sample("orderstream_publish_to_commit_seconds_sum", in: metrics))
            #expect(fetchSum > 0 && fetchSum <= publishSum + 0.001 * fetchCount, "\(fetchSum) vs \(publishSum)")
        }
    }

    /// The value of an unlabelled series in a Prometheus text exposition.
    static func sample(_ name: String, in metrics: String) -> Double? {
        metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }
            .flatMap { Double($0.split(separator: " ")[1]) }
    }

    @Test func aPostgreSQLRestartMidStreamIsRiddenOut() async throws {
        let cluster = try TestCluster(partitions: 6)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        let worker = try WorkerProcess.start(cluster: cluster, databaseURL: database, instanceId: "pg-restart")
        defer { worker.runner.kill() }
        try await worker.waitReady()
        let expected = ExpectedStream(orders: 5_000, duplicates: 0.05, invalid: 0.01, seed: 13)
        let publisher = try expected.startPublishing(to: cluster, rate: 4_000)
        defer { publisher.kill() }
        try await Task.sleep(for: .seconds(1))
        try TestEnvironment.stopPostgreSQL()
        // While the database is down the worker says so and is not ready.
        let notReady = await TestEnvironment.eventually(timeout: .seconds(15)) {
            await HTTPProbe.tryGet(worker.baseURL + "/health/ready")?.status == 503
        }
        try TestEnvironment.startPostgreSQL()
        #expect(notReady, "the worker stayed ready while PostgreSQL was down")
        #expect(await publisher.wait(timeout: .seconds(60)) == 0)
        let kpis = try await worker.waitAccounted(messages: expected.messages)
        #expect(kpis.body == expected.totalsJSON)
        try await worker.waitReady()
        #expect(worker.runner.isRunning)
    }

    @Test func aBrokerOutageIsRiddenOutAndReportedWithoutLeakingSecrets() async throws {
        let cluster = try TestCluster(partitions: 6)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        let password = try #require(URLComponents(string: database)?.password)
        // The database URL (with its password) comes from a file; logs are JSON lines.
        let folder = ProcessInfo.processInfo.environment["ORDERSTREAM_TEST_TMP"] ?? NSTemporaryDirectory()
        let secretFile = folder + "/database-url-\(UUID().uuidString.prefix(6))"
        try (database + "\n").write(toFile: secretFile, atomically: true, encoding: .utf8)
        let expected = ExpectedStream(orders: 4_000, duplicates: 0.05, invalid: 0.01, seed: 17)
        let published = try expected.publish(to: cluster)
        #expect(published.status == 0)
        let worker = try WorkerProcess.start(
            cluster: cluster, databaseURL: "unused", instanceId: "outage",
            extra: [
                "ORDERSTREAM_DATABASE_URL": "", "ORDERSTREAM_DATABASE_URL_FILE": secretFile,
                "ORDERSTREAM_LOG_FORMAT": "json",
            ])
        defer { worker.runner.kill() }
        try await worker.waitReady()

        try cluster.cluster.setBrokerDown(1)
        let reported = await TestEnvironment.eventually(timeout: .seconds(30)) {
            guard let answer = await HTTPProbe.tryGet(worker.baseURL + "/health/ready") else { return false }
            return answer.status == 503 && answer.body.contains("Kafka")
        }
        #expect(reported, "the broker outage was not reported in /health/ready")
        let gaugeDropped = await TestEnvironment.eventually(timeout: .seconds(10)) {
            (await HTTPProbe.tryGet(worker.baseURL + "/metrics"))?.body.contains("orderstream_kafka_up 0") == true
        }
        #expect(gaugeDropped, "orderstream_kafka_up did not drop during the outage")
        try cluster.cluster.setBrokerUp(1)
        try await worker.waitReady(timeout: .seconds(60))
        let kpis = try await worker.waitAccounted(messages: expected.messages)
        #expect(kpis.body == expected.totalsJSON)

        // No secret in logs, health or metrics; every log line is one JSON object.
        let health = try await HTTPProbe.get(worker.baseURL + "/health/ready").body
        let metrics = try await HTTPProbe.get(worker.baseURL + "/metrics").body
        worker.runner.signal(SIGTERM)
        #expect(await worker.runner.wait(timeout: .seconds(20)) == 0)
        for (name, text) in [("log", worker.runner.output), ("health", health), ("metrics", metrics)] {
            #expect(!text.contains(password), "the database password appears in the \(name)")
        }
        let lines = worker.runner.output.split(separator: "\n")
        #expect(lines.count > 5)
        for line in lines {
            let object = try? JSONParser.parse(String(line)).objectValue
            #expect(
                object?["time"] != nil && object?["level"] != nil && object?["message"] != nil,
                "not a JSON log line: \(line.prefix(200))")
        }
        #expect(lines.contains { $0.contains("\"color\":\"blue\"") && $0.contains("\"instance\":\"outage\"") })
        // Every dead letter has its line with where it came from.
        let deadLetters = lines.filter { $0.contains("\"message\":\"dead-lettered\"") }
        #expect(deadLetters.count == expected.invalid.count)
        #expect(
            deadLetters.allSatisfy {
                $0.contains("\"topic\":") && $0.contains("\"partition\":") && $0.contains("\"offset\":")
                    && $0.contains("\"reason\":")
            })
        #expect(deadLetters.contains { $0.contains("\"event_id\":") })
    }
}
