import Foundation
import OrderStreamDomain
import OrderStreamTestSupport
import Testing

/// Draining, scaling and blue-green cutovers while events are published at a fixed rate
/// (`session.timeout.ms=4000` on the embedded broker): nothing lost, nothing applied twice.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct ZeroDowntimeTests {
    /// `orderstream cutover`, returning its exit status, output and the pause it reported.
    static func cutover(
        to color: String, database: String, cluster: TestCluster, timeout: Int = 30
    ) throws
        -> (status: Int32, output: String, pause: Double?)
    {
        let result = try ProcessRunner.orderstream(
            ["cutover", "--to", color, "--timeout", String(timeout)],
            environment: ["ORDERSTREAM_DATABASE_URL": database, "ORDERSTREAM_KAFKA_BROKERS": cluster.bootstrap])
        let pause = result.stdout.split(separator: "\n")
            .first { $0.hasPrefix("processing pause: ") }
            .flatMap { Double($0.dropFirst("processing pause: ".count).split(separator: " ")[0]) }
        return (result.status, result.stdout + result.stderr, pause)
    }

    @Test func blueGreenCutoversUnderLoadAreExactWithShortPauses() async throws {
        let cluster = try TestCluster(partitions: 6)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        var workers: [WorkerProcess] = []
        defer { workers.forEach { $0.runner.kill() } }
        for (color, name) in [("blue", "blue-1"), ("blue", "blue-2"), ("green", "green-1"), ("green", "green-2")] {
            let worker = try WorkerProcess.start(
                cluster: cluster, databaseURL: database, color: color, instanceId: name)
            workers.append(worker)
            try await worker.waitReady()
        }
        // Green is the standby: ready, holding its partitions paused.
        let green = try await HTTPProbe.get(workers[2].baseURL + "/health/ready")
        #expect(green.status == 200 && green.body.contains("standby"), "\(green.body)")

        // ~60,000 messages at 1,000/s: publishing runs through all ten cutovers.
        let expected = ExpectedStream(orders: 16_000, duplicates: 0.05, invalid: 0.01, seed: 21)
        let publisher = try expected.startPublishing(to: cluster, rate: 1_000)
        defer { publisher.kill() }
        var pauses: [Double] = []
        // blue -> green -> blue -> green -> ... : ten cutovers, each one the rollback of the last.
        for color in Array(repeating: ["green", "blue"], count: 5).flatMap({ $0 }) {
            try await Task.sleep(for: .seconds(3))
            #expect(publisher.isRunning, "publishing ended before the cutover to \(color)")
            let result = try Self.cutover(to: color, database: database, cluster: cluster)
            #expect(result.status == 0, "cutover to \(color): \(result.output)")
            // Under load, the books balance: offsets moved since the fence = events accounted for.
            #expect(
                result.output.contains("verified: ") && result.output.contains("every partition owned by \(color)"),
                "\(result.output)")
            let pause = try #require(result.pause, "no pause reported: \(result.output)")
            pauses.append(pause)
            #expect(pause < 2.0, "cutover to \(color) paused processing \(pause) s")
        }
        let sorted = pauses.sorted()
        print(
            "cutover pauses under load (s): \(pauses.map { String(format: "%.3f", $0) }.joined(separator: ", ")); "
                + "median \(String(format: "%.3f", (sorted[4] + sorted[5]) / 2)), worst \(String(format: "%.3f", sorted.last ?? 0))"
        )
        // The status command shows the new owner of every partition and the live workers.
        let status = try ProcessRunner.orderstream(
            ["status", "--json"],
            environment: ["ORDERSTREAM_DATABASE_URL": database, "ORDERSTREAM_KAFKA_BROKERS": cluster.bootstrap])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("\"active_color\":\"blue\""), "\(status.stdout)")
        #expect(!status.stdout.contains("\"owner_color\":\"green\""), "\(status.stdout)")
        #expect(status.stdout.contains("\"instance_id\":\"green-2\""), "\(status.stdout)")
        #expect(await publisher.wait(timeout: .seconds(60)) == 0)
        let kpis = try await workers[0].waitAccounted(messages: expected.messages)
        #expect(kpis.body == expected.totalsJSON)
        // Blue (active after the tenth cutover) is active; green is fenced out and says so.
        let blue = try await HTTPProbe.get(workers[0].baseURL + "/health/ready")
        #expect(blue.body.contains("\"role\":\"active\""), "\(blue.body)")
        let fenced = try await HTTPProbe.get(workers[2].baseURL + "/health/ready")
        #expect(fenced.body.contains("fenced out by epoch"), "\(fenced.body)")
        // A cutover to the active color changes nothing.
        let again = try Self.cutover(to: "blue", database: database, cluster: cluster)
        #expect(
            try await HTTPProbe.get(workers[0].baseURL + "/metrics").body.contains("orderstream_cutover_pause_seconds"))
        #expect(again.status == 0 && again.output.contains("already the active color"))
    }

    @Test func aFrozenBlueWorkerIsFencedOutAndCommitsNothingAfterwards() async throws {
        let cluster = try TestCluster(partitions: 6)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        let blue = try WorkerProcess.start(
            cluster: cluster, databaseURL: database, color: "blue", instanceId: "zombie-blue")
        defer { blue.runner.kill() }
        try await blue.waitReady()
        let green = try WorkerProcess.start(
            cluster: cluster, databaseURL: database, color: "green", instanceId: "heir-green")
        defer { green.runner.kill() }
        try await green.waitReady()
        let expected = ExpectedStream(orders: 3_000, duplicates: 0.05, invalid: 0.01, seed: 23)
        let publisher = try expected.startPublishing(to: cluster, rate: 1_000)
        defer { publisher.kill() }
        try await Task.sleep(for: .seconds(2))

        blue.runner.signal(SIGSTOP)
        let started = ContinuousClock.now
        let result = try Self.cutover(to: "green", database: database, cluster: cluster, timeout: 15)
        let took = ContinuousClock.now - started
        #expect(result.status == 0, "\(result.output)")
        #expect(took < .seconds(15), "the cutover took \(took), past the drain deadline")
        let fencedAt = try TestEnvironment.query(database, "SELECT max(fenced_at) AS at FROM cutovers").string(0, "at")
        blue.runner.signal(SIGCONT)

        #expect(await publisher.wait(timeout: .seconds(60)) == 0)
        let kpis = try await green.waitAccounted(messages: expected.messages)
        #expect(kpis.body == expected.totalsJSON)
        // Nothing the woken worker tried after the fence committed.
        let late = try TestEnvironment.query(
            database,
            "SELECT count(*)::bigint AS n FROM partition_positions WHERE last_commit_by = 'zombie-blue' AND last_commit_at > $1::timestamptz",
            [fencedAt])
        #expect(try late.int64(0, "n") == 0)
        let ready = await TestEnvironment.eventually(timeout: .seconds(10)) {
            (await HTTPProbe.tryGet(blue.baseURL + "/health/ready"))?.body.contains("fenced out by epoch") == true
        }
        #expect(ready, "the woken worker does not say it is fenced out")
    }

    @Test func scalingOneColorFromOneToThreeToTwoIsExact() async throws {
        let cluster = try TestCluster(partitions: 6)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        var workers = [try WorkerProcess.start(cluster: cluster, databaseURL: database, instanceId: "scale-1")]
        defer { workers.forEach { $0.runner.kill() } }
        try await workers[0].waitReady()
        let expected = ExpectedStream(orders: 5_000, duplicates: 0.05, invalid: 0.01, seed: 25)
        let publisher = try expected.startPublishing(to: cluster, rate: 1_000)
        defer { publisher.kill() }
        try await Task.sleep(for: .seconds(2))
        for name in ["scale-2", "scale-3"] {
            let worker = try WorkerProcess.start(cluster: cluster, databaseURL: database, instanceId: name)
            workers.append(worker)
            try await worker.waitReady()
        }
        try await Task.sleep(for: .seconds(4))
        workers[1].runner.signal(SIGTERM)
        #expect(await workers[1].runner.wait(timeout: .seconds(20)) == 0, "scale-2 did not drain cleanly")
        #expect(await publisher.wait(timeout: .seconds(60)) == 0)
        let kpis = try await workers[0].waitAccounted(messages: expected.messages)
        #expect(kpis.body == expected.totalsJSON)
    }

    @Test func sigtermWhileABatchIsInFlightExitsZeroAndLosesNothing() async throws {
        let cluster = try TestCluster(partitions: 6)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        let expected = ExpectedStream(orders: 10_000, duplicates: 0.05, invalid: 0.01, seed: 27)
        // Preload, so that the worker is busy applying the moment it gets SIGTERM.
        let published = try expected.publish(to: cluster)
        #expect(published.status == 0)
        let first = try WorkerProcess.start(
            cluster: cluster, databaseURL: database, instanceId: "drain-1",
            arguments: ["--drain-deadline", "10"])
        defer { first.runner.kill() }
        let busy = await TestEnvironment.eventually(timeout: .seconds(30), every: .milliseconds(20)) {
            ((try? await first.kpis())?.int("events_applied") ?? 0) > 0
        }
        #expect(busy)
        let started = ContinuousClock.now
        first.runner.signal(SIGTERM)
        try await Task.sleep(for: .milliseconds(100))
        first.runner.signal(SIGTERM)  // a second signal changes nothing
        #expect(await first.runner.wait(timeout: .seconds(15)) == 0, "\(first.runner.output.suffix(2_000))")
        #expect(ContinuousClock.now - started < .seconds(11))
        #expect(first.runner.output.contains("drained"))

        let second = try WorkerProcess.start(cluster: cluster, databaseURL: database, instanceId: "drain-2")
        defer { second.runner.kill() }
        let kpis = try await second.waitAccounted(messages: expected.messages)
        #expect(kpis.body == expected.totalsJSON)
    }

    @Test func sigtermWhilePostgreSQLIsDownExitsByTheDeadlineAndLosesNothing() async throws {
        let cluster = try TestCluster(partitions: 6)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        let first = try WorkerProcess.start(
            cluster: cluster, databaseURL: database, instanceId: "pgdown-1",
            arguments: ["--drain-deadline", "4"])
        defer { first.runner.kill() }
        try await first.waitReady()
        let expected = ExpectedStream(orders: 3_000, duplicates: 0.05, invalid: 0.01, seed: 29)
        let published = try expected.publish(to: cluster)
        #expect(published.status == 0)
        try TestEnvironment.stopPostgreSQL()
        do {
            try await Task.sleep(for: .milliseconds(500))
            let started = ContinuousClock.now
            first.runner.signal(SIGTERM)
            let status = await first.runner.wait(timeout: .seconds(20))
            let took = ContinuousClock.now - started
            try TestEnvironment.startPostgreSQL()
            #expect(status == 0, "\(first.runner.output.suffix(2_000))")
            #expect(took < .seconds(8), "the drain took \(took) with a 4 s deadline")
        } catch {
            try TestEnvironment.startPostgreSQL()
            throw error
        }
        let second = try WorkerProcess.start(cluster: cluster, databaseURL: database, instanceId: "pgdown-2")
        defer { second.runner.kill() }
        let kpis = try await second.waitAccounted(messages: expected.messages)
        #expect(kpis.body == expected.totalsJSON)
    }
}
