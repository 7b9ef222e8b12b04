import Foundation
import OrderStreamTestSupport
import PostgreSQL
import Testing

/// The pause of a real release: every cutover goes to a color whose workers were just started
/// (their partitions paused since assignment), under fixed-rate load, and the old color is
/// stopped afterwards, as a deployment does.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct ReleaseCutoverPauseTests {
    @Test func cutoversToFreshlyStartedWorkersPauseBriefly() async throws {
        let cluster = try TestCluster(partitions: 24)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        let rounds = Int(ProcessInfo.processInfo.environment["ORDERSTREAM_TEST_RELEASE_ROUNDS"] ?? "") ?? 4
        var color = "blue"
        var running = [
            try WorkerProcess.start(cluster: cluster, databaseURL: database, color: color, instanceId: "\(color)-r0-a"),
            try WorkerProcess.start(cluster: cluster, databaseURL: database, color: color, instanceId: "\(color)-r0-b"),
        ]
        defer { running.forEach { $0.runner.kill() } }
        for worker in running { try await worker.waitReady() }

        // Enough events to keep the load on through every round (about 10 s each).
        let expected = ExpectedStream(orders: max(30_000, rounds * 6_000), duplicates: 0.02, invalid: 0.005, seed: 61)
        let publisher = try expected.startPublishing(to: cluster, rate: 2_000)
        defer { publisher.kill() }
        try await Task.sleep(for: .seconds(2))

        var pauses: [Double] = []
        for round in 1...rounds {
            let next = color == "blue" ? "green" : "blue"
            let fresh = [
                try WorkerProcess.start(
                    cluster: cluster, databaseURL: database, color: next, instanceId: "\(next)-r\(round)-a"),
                try WorkerProcess.start(
                    cluster: cluster, databaseURL: database, color: next, instanceId: "\(next)-r\(round)-b"),
            ]
            for worker in fresh { try await worker.waitReady() }
            try await Task.sleep(for: .seconds(1))
            let result = try ZeroDowntimeTests.cutover(to: next, database: database, cluster: cluster)
            #expect(result.status == 0, "\(result.output)")
            if let pause = result.pause { pauses.append(pause) }
            for old in running { old.runner.signal(SIGTERM) }
            for old in running { #expect(await old.runner.wait(timeout: .seconds(30)) == 0) }
            running = fresh
            color = next
        }
        let sorted = pauses.sorted()
        print(
            "cutover pauses to freshly started workers (s): \(pauses.map { String(format: "%.3f", $0) }.joined(separator: ", ")); "
                + "median \(String(format: "%.3f", sorted[sorted.count / 2])), worst \(String(format: "%.3f", sorted.last ?? 0))"
        )
        #expect(pauses.count == rounds)
        #expect((sorted.last ?? 99) < 2, "a release's cutover paused \(sorted.last ?? 0) s")

        #expect(await publisher.wait(timeout: .seconds(120)) == 0)
        let kpis = try await running[0].waitAccounted(messages: expected.messages, timeout: .seconds(180))
        #expect(kpis.body == expected.totalsJSON)
    }
}
