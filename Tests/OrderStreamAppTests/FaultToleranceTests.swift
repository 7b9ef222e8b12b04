import Foundation
import OrderStreamDomain
import OrderStreamTestSupport
import Testing

/// Exactness whatever happens to the processes: crashes, several workers, a database restart.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct FaultToleranceTests {
    @Test func killingTheWorkerAtRandomMomentsLosesAndDoublesNothing() async throws {
        let cluster = try TestCluster(partitions: 6)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        // About 15,000 messages at 600/s: the publisher runs ~25 s, through all five kills.
        let expected = ExpectedStream(orders: 4_000, duplicates: 0.05, invalid: 0.01, seed: 7)
        let publisher = try ProcessRunner.start(
            "loadgen", ExpectedStream.loadgenArguments(orders: 4_000, duplicates: 0.05, invalid: 0.01, seed: 7, rate: 600),
            environment: ["ORDERSTREAM_KAFKA_BROKERS": cluster.bootstrap])
        defer { publisher.kill() }
        var random = SplitMix64(seed: 2026)
        var kills = 0
        var appliedAtKills: [Int64] = []
        var worker = try WorkerProcess.start(cluster: cluster, databaseURL: database, instanceId: "crash-0")
        while kills < 5 {
            try await worker.waitReady()
            // Let it consume for a random while, then kill it without warning.
            try await Task.sleep(for: .milliseconds(300 + Int(random.next() % 1_200)))
            let applied = (try? await worker.kpis())?.int("events_applied") ?? -1
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
        #expect(appliedAtKills.last ?? 0 < expected.reference.kpis().eventsApplied, "the kills came after everything was applied")
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
        let published = try ProcessRunner.orderstream(
            ExpectedStream.loadgenArguments(orders: 8_000, duplicates: 0.05, invalid: 0.01, seed: 11, rate: 10_000),
            environment: ["ORDERSTREAM_KAFKA_BROKERS": cluster.bootstrap])
        #expect(published.status == 0)
        let kpis = try await first.waitAccounted(messages: expected.messages)
        #expect(kpis.body == expected.totalsJSON)
        #expect(try await second.kpis().body == expected.totalsJSON)
        // Both took part: each owns some partitions and applied some events.
        for worker in [first, second] {
            let metrics = try await HTTPProbe.get(worker.baseURL + "/metrics").body
            let applied = metrics.split(separator: "\n").first { $0.hasPrefix("orderstream_events_applied_total ") }
            #expect((applied.flatMap { Double($0.split(separator: " ")[1]) } ?? 0) > 0, "\(worker.instanceId) applied nothing")
        }
    }

    @Test func aPostgreSQLRestartMidStreamIsRiddenOut() async throws {
        let cluster = try TestCluster(partitions: 6)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        let worker = try WorkerProcess.start(cluster: cluster, databaseURL: database, instanceId: "pg-restart")
        defer { worker.runner.kill() }
        try await worker.waitReady()
        let expected = ExpectedStream(orders: 5_000, duplicates: 0.05, invalid: 0.01, seed: 13)
        let publisher = try ProcessRunner.start(
            "loadgen", ExpectedStream.loadgenArguments(orders: 5_000, duplicates: 0.05, invalid: 0.01, seed: 13, rate: 4_000),
            environment: ["ORDERSTREAM_KAFKA_BROKERS": cluster.bootstrap])
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
}
