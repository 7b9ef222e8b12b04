import Foundation
import OrderStreamDomain
import OrderStreamTestSupport
import PostgreSQL
import Testing

/// PostgreSQL going away in ways a restart does not cover: a primary lost under load and its
/// asynchronous replica promoted (commits the replica never received are lost), and a position
/// row locked by another session past the statement timeout. KPIs stay exact.
@Suite(.serialized, .timeLimit(.minutes(6)))
struct FailoverTests {
    /// `next_offset` of every position row, by "topic/partition".
    static func positions(_ url: String) throws -> [String: Int64] {
        let rows = try TestEnvironment.query(url, "SELECT topic, partition, next_offset FROM partition_positions")
        var result: [String: Int64] = [:]
        for row in 0..<rows.rowCount {
            result["\(try rows.string(row, "topic"))/\(try rows.int(row, "partition"))"] = try rows.int64(
                row, "next_offset")
        }
        return result
    }

    /// The value of an unlabelled counter or gauge in a `/metrics` body (nil when absent).
    static func metric(_ name: String, in body: String) -> Double? {
        body.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
    }

    @Test func aPrimaryFailoverUnderLoadIsRiddenOutExactly() async throws {
        let servers = try ThrowawayServers("failover")
        defer { servers.stopAll() }
        let primary = try servers.startPrimary()
        let replica = try servers.startReplica()
        let primaryPort = try ThrowawayServers.port(of: primary)
        let replicaPort = try ThrowawayServers.port(of: replica)
        // A replica that lags: the primary flushes (and so streams) its asynchronous commits
        // every 10 s only, so the commits of the last seconds before the crash are likely to be
        // acknowledged to the worker and never reach the replica.
        _ = try TestEnvironment.query(primary, "ALTER SYSTEM SET wal_writer_delay = '10s'")
        _ = try TestEnvironment.query(primary, "ALTER SYSTEM SET wal_writer_flush_after = '1GB'")
        _ = try TestEnvironment.query(primary, "SELECT pg_reload_conf()")
        let url =
            "postgresql://orderstream:orderstream-secret@127.0.0.1:\(primaryPort),127.0.0.1:\(replicaPort)/orderstream"
            + "?target_session_attrs=read-write"

        let cluster = try TestCluster(partitions: 6)
        defer { cluster.close() }
        let worker = try WorkerProcess.start(cluster: cluster, databaseURL: url, instanceId: "failover")
        defer { worker.runner.kill() }
        try await worker.waitReady()
        // The schema and the position rows reach the replica before the load (a checkpoint
        // flushes the WAL, which the replica then streams).
        _ = try TestEnvironment.query(primary, "CHECKPOINT")
        let replicated = await TestEnvironment.eventually(timeout: .seconds(20)) {
            (try? Self.positions(replica).count) == 12
        }
        #expect(replicated, "the replica did not receive the 12 position rows")

        // ~26,000 messages at 2,500/s: publishing runs ~10 s, well past the failover.
        let expected = ExpectedStream(orders: 7_000, duplicates: 0.05, invalid: 0.01, seed: 29)
        let publisher = try expected.startPublishing(to: cluster, rate: 2_500)
        defer { publisher.kill() }
        // Part of the load reaches the replica (a checkpoint flushes the WAL so far), the
        // commits of the next 1.5 s most likely not.
        try await Task.sleep(for: .seconds(2))
        _ = try TestEnvironment.query(primary, "CHECKPOINT")
        let streamed = await TestEnvironment.eventually(timeout: .seconds(10)) {
            (try? Self.positions(replica).values.reduce(0, +)) ?? 0 > 0
        }
        #expect(streamed, "no applied batch reached the replica")
        try await Task.sleep(for: .milliseconds(1_500))
        let appliedBefore = try #require(try await worker.kpis().int("events_applied"), "no events_applied in /kpis")
        #expect(appliedBefore > 0, "nothing applied before the failover")

        // The crash: positions as the worker had them committed a moment before (a lower bound:
        // commits go on until the stop), then an immediate stop.
        let onPrimary = try Self.positions(primary)
        try servers.script("testdb.sh", ["stop-immediate", servers.path("primary")])
        let crashedAt = ContinuousClock.now
        let notReady = await TestEnvironment.eventually(timeout: .seconds(15)) {
            await HTTPProbe.tryGet(worker.baseURL + "/health/ready")?.status == 503
        }
        #expect(notReady, "the worker stayed ready without a primary")
        // What the replica has is what the new primary starts from (nothing streams any more).
        let onReplica = try Self.positions(replica)
        try servers.script("testdb.sh", ["promote", servers.path("replica")])
        let promotedAt = ContinuousClock.now

        var lostPartitions = 0
        var lostOffsets: Int64 = 0
        for (key, committed) in onPrimary {
            let kept = onReplica[key] ?? 0
            if kept < committed {
                lostPartitions += 1
                lostOffsets += committed - kept
            }
        }
        print(
            "failover: the primary had committed \(onPrimary.values.reduce(0, +)) offsets, the promoted replica "
                + "\(onReplica.values.reduce(0, +)): \(lostOffsets) offsets of \(lostPartitions) partitions lost "
                + "(at least; commits after the last read are not counted); promoted "
                + "\(promotedAt - crashedAt) after the crash; \(appliedBefore) events applied 3.5 s into the load")

        #expect(await publisher.wait(timeout: .seconds(60)) == 0)
        let kpis = try await worker.waitAccounted(messages: expected.messages, timeout: .seconds(90))
        #expect(kpis.body == expected.totalsJSON)
        try await worker.waitReady()
        #expect(worker.runner.isRunning)
        // Every position is on the new primary, at the end of its partition.
        let final = try Self.positions(replica)
        #expect(final.count == 12)
        let metrics = try await HTTPProbe.get(worker.baseURL + "/metrics").body
        let fenced = Self.metric("orderstream_batches_fenced_total", in: metrics) ?? 0
        print("failover: batches fenced (positions found behind, sought back): \(Int(fenced))")
        if lostOffsets > 0 {
            #expect(fenced > 0, "positions went back \(lostOffsets) offsets but no batch was fenced")
        }

        // The replica only ever had what the primary had written: the crashed primary, started on
        // a port the worker does not know, recovers its WAL and is nowhere behind the replica.
        // (The read before the crash cannot serve here: commits went on until the stop. Nor is it
        // a bound on what recovers: the test server commits asynchronously, so the commits of
        // its last moments may have been acknowledged and never written.)
        let recoveredURL = try servers.startOnNewPort("primary")
        #expect(try ThrowawayServers.port(of: recoveredURL) != primaryPort)
        let written = try Self.positions(recoveredURL)
        #expect(written.count == 12)
        print(
            "failover: the crashed primary recovers \(written.values.reduce(0, +)) offsets, the replica had "
                + "\(onReplica.values.reduce(0, +))")
        for (key, kept) in onReplica {
            let hadWritten = written[key] ?? -1
            #expect(kept <= hadWritten, "\(key): the replica has \(kept), the primary had written \(hadWritten)")
        }
        // A running server is refused: moving it would cut off whoever is connected to it.
        let refusal = #expect(throws: TestEnvironment.Missing.self) {
            try servers.startOnNewPort("replica")
        }
        #expect(refusal?.description.contains("is running; stop it first") == true, "\(String(describing: refusal))")
        #expect(try Self.positions(replica).count == 12, "the promoted replica is not serving after the refusal")
    }

    @Test func aLockedPositionRowPastTheStatementTimeoutIsReportedAndRiddenOut() async throws {
        let cluster = try TestCluster(partitions: 6)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        // Every statement of the worker gives up after 1 s (SQLSTATE 57014).
        let worker = try WorkerProcess.start(
            cluster: cluster, databaseURL: database + "?options=-c%20statement_timeout%3D1000", instanceId: "stall")
        defer { worker.runner.kill() }
        try await worker.waitReady()
        // ~15,000 messages at 1,000/s: publishing runs through the stall.
        let expected = ExpectedStream(orders: 4_000, duplicates: 0.05, invalid: 0.01, seed: 31)
        let publisher = try expected.startPublishing(to: cluster, rate: 1_000)
        defer { publisher.kill() }
        let started = await TestEnvironment.eventually(timeout: .seconds(20)) {
            (try? await worker.kpis().int("events_applied")) ?? 0 > 0
        }
        #expect(started, "nothing applied")

        // Another session holds the row lock of orders/0 in an open transaction.
        let blocker = try await PGConnection.connect(
            try PGConnectionConfiguration(database), logger: TestEnvironment.logger())
        defer { blocker.close() }
        try await blocker.execute("BEGIN")
        let locked = try await blocker.query(
            "SELECT next_offset FROM partition_positions WHERE topic = 'orders' AND partition = 0 FOR UPDATE")
        #expect(locked.rowCount == 1)
        let positionsAtLock = try Self.positions(database)
        // The stall is reported with the partition and why, on /health/ready and as a gauge.
        var lastHealth = ""
        let reported = await TestEnvironment.eventually(timeout: .seconds(30)) {
            guard let answer = await HTTPProbe.tryGet(worker.baseURL + "/health/ready") else { return false }
            lastHealth = "\(answer.status) \(answer.body)"
            let reasons = try? JSONParser.parse(answer.body).objectValue?["reasons"]?.arrayValue
            return reasons?.contains { reason in
                let text = reason.stringValue ?? ""
                return text.contains("partition") && (text.contains("57014") || text.contains("statement timeout"))
            } == true
        }
        #expect(reported, "no stalled-partition reason on /health/ready: \(lastHealth)")
        let metrics = try await HTTPProbe.get(worker.baseURL + "/metrics").body
        let stalled = metrics.split(separator: "\n").filter {
            $0.hasPrefix("orderstream_partition_stalled{") && $0.contains("topic=\"orders\"")
                && $0.contains("partition=\"0\"")
        }
        #expect(
            stalled.count == 1 && stalled.first.flatMap { Double($0.split(separator: " ").last ?? "") } == 1,
            "orderstream_partition_stalled for orders/0 is not 1: \(stalled)")
        #expect(publisher.isRunning, "publishing ended while the row was locked")
        // Whatever the report, the lock really held orders/0 back while the others moved on.
        let lockedAt = try locked.int64(0, "next_offset")
        let duringLock = try Self.positions(database)
        #expect(duringLock["orders/0"] == lockedAt, "orders/0 moved while its row was locked")
        let startedAt = positionsAtLock.values.reduce(0, +)
        #expect(duringLock.values.reduce(0, +) > startedAt, "no partition moved while orders/0 was locked")

        // The lock goes away: the worker catches up, ready again, exact.
        try await blocker.execute("ROLLBACK")
        #expect(await publisher.wait(timeout: .seconds(60)) == 0)
        let kpis = try await worker.waitAccounted(messages: expected.messages, timeout: .seconds(60))
        #expect(kpis.body == expected.totalsJSON)
        try await worker.waitReady(timeout: .seconds(20))
        let after = try await HTTPProbe.get(worker.baseURL + "/metrics").body
        let stillStalled = after.split(separator: "\n").filter {
            $0.hasPrefix("orderstream_partition_stalled{") && Double($0.split(separator: " ").last ?? "") != 0
        }
        #expect(stillStalled.isEmpty, "partitions still reported stalled: \(stillStalled)")
        #expect(worker.runner.isRunning)
    }
}
