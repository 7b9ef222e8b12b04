import Foundation
import Logging
import OrderStreamDomain
import OrderStreamTestSupport
import PostgreSQL
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing

@testable import OrderStreamWorker

/// The drain in-process, through swift-service-lifecycle's graceful-shutdown test kit (the
/// process tests send real SIGTERMs): a worker shut down in the middle of a stream stops at a
/// clean position with every consumed offset accounted for, and the next worker finishes the
/// stream with the KPIs exactly the reference model's.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct InProcessDrainTests {
    static func settings(_ cluster: TestCluster, _ database: String, instance: String) -> WorkerSettings {
        var settings = WorkerSettings(
            kafkaProperties: [
                "bootstrap.servers": cluster.bootstrap, "session.timeout.ms": "4000", "heartbeat.interval.ms": "300",
            ],
            databaseURL: database, group: "inprocess", color: .blue, instanceId: instance)
        settings.drainDeadline = .seconds(10)
        settings.batchSize = 200
        return settings
    }

    /// Offsets consumed (the positions) and offsets accounted for (applied + duplicates + rejected).
    static func ledger(_ database: String) throws -> (consumed: Int64, accounted: Int64) {
        let row = try TestEnvironment.query(
            database,
            """
            SELECT (SELECT coalesce(sum(next_offset), 0) FROM partition_positions)::bigint AS consumed,
                   ((SELECT coalesce(sum(events_duplicate + events_rejected), 0) FROM partition_positions)
                    + (SELECT count(*) FROM applied_events))::bigint AS accounted
            """)
        return (try row.int64(0, "consumed"), try row.int64(0, "accounted"))
    }

    @Test func aGracefulShutdownMidStreamDrainsAndTheNextWorkerFinishesExactlyOnce() async throws {
        let cluster = try TestCluster(partitions: 2)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        let stream = ExpectedStream(orders: 800, duplicates: 0.05, invalid: 0.02, seed: 41)
        // About 12 s of publishing at 250 events/s: long after the worker joined and applied its
        // first 200 events (a few seconds on a loaded machine), so the shutdown lands mid-stream.
        let publisher = try stream.startPublishing(to: cluster, rate: 250)
        defer { publisher.kill() }

        let first = Worker(
            settings: Self.settings(cluster, database, instance: "inprocess-1"),
            metrics: WorkerMetrics(buildVersion: "test", buildRevision: "test", color: .blue),
            logger: TestEnvironment.logger("inprocess-1"))
        var drainSeconds = 0.0
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await first.run() }
                let started = await TestEnvironment.eventually(timeout: .seconds(60)) {
                    ((try? Self.ledger(database))?.accounted ?? 0) > 200
                }
                #expect(started, "the worker applied part of the stream")
                let clock = ContinuousClock.now
                trigger.triggerGracefulShutdown()
                try await group.next()
                drainSeconds = (ContinuousClock.now - clock).seconds
            }
        }
        #expect(first.state.phase == .stopped)
        #expect(!first.state.readiness().ready)
        #expect(drainSeconds < 10, "the drain finished within its deadline")
        let afterDrain = try Self.ledger(database)
        #expect(afterDrain.consumed == afterDrain.accounted, "every consumed offset accounted for at the drain")
        #expect(afterDrain.accounted < stream.messages, "the shutdown came mid-stream")

        #expect(await publisher.wait(timeout: .seconds(120)) == 0)
        let second = Worker(
            settings: Self.settings(cluster, database, instance: "inprocess-2"),
            metrics: WorkerMetrics(buildVersion: "test", buildRevision: "test", color: .blue),
            logger: TestEnvironment.logger("inprocess-2"))
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await second.run() }
                let finished = await TestEnvironment.eventually(timeout: .seconds(90)) {
                    ((try? Self.ledger(database))?.accounted ?? 0) == stream.messages
                }
                #expect(finished, "the next worker finished the stream")
                trigger.triggerGracefulShutdown()
                try await group.next()
            }
        }
        let connection = try await PGConnection.connect(try PGConnectionConfiguration(database))
        defer { connection.close() }
        let kpis = try KPIQueries.kpis(window: nil, on: connection)
        #expect(kpis.json(includeTotalsOnly: true) == stream.totalsJSON)
    }
}
