import Foundation
import OrderStreamTestSupport
import PostgreSQL
import Testing

/// A canary cutover under fixed-rate load: some partitions to green, back (abort), some again,
/// then all (promote), with a frozen worker of each color along the way. Exact KPIs, no event
/// applied twice, every step's pause under 2 s, and nothing committed by a frozen worker on a
/// partition it lost.
@Suite(.serialized, .timeLimit(.minutes(6)))
struct CanaryTests {
    static func step(
        _ arguments: [String], database: String, cluster: TestCluster
    ) throws -> (status: Int32, output: String, pause: Double?) {
        let result = try ProcessRunner.orderstream(
            ["cutover", "--timeout", "30"] + arguments,
            environment: ["ORDERSTREAM_DATABASE_URL": database, "ORDERSTREAM_KAFKA_BROKERS": cluster.bootstrap])
        let pause = result.stdout.split(separator: "\n")
            .first { $0.hasPrefix("processing pause: ") }
            .flatMap { Double($0.dropFirst("processing pause: ".count).split(separator: " ")[0]) }
        return (result.status, result.stdout + result.stderr, pause)
    }

    static func owners(_ database: String) throws -> [String: String] {
        let rows = try TestEnvironment.query(
            database, "SELECT topic || '[' || partition || ']' AS name, owner_color FROM partition_positions")
        var owners: [String: String] = [:]
        for row in 0..<rows.rowCount { owners[try rows.string(row, "name")] = try rows.string(row, "owner_color") }
        return owners
    }

    /// Commits by `instance` after `time` (on `partitions`, `orders[0]`, when given).
    static func lateCommits(
        by instance: String, after time: String, on partitions: [String]? = nil, _ database: String
    ) throws -> Int64 {
        try TestEnvironment.query(
            database,
            """
            SELECT count(*)::bigint AS n FROM partition_positions
            WHERE last_commit_by = $1 AND last_commit_at > $2::timestamptz
              AND ($3::text[] IS NULL OR topic || '[' || partition || ']' = ANY($3::text[]))
            """,
            [instance, time, partitions]
        ).int64(0, "n")
    }

    static func lastFence(_ database: String) throws -> String {
        try TestEnvironment.query(database, "SELECT max(fenced_at)::text AS at FROM cutovers").string(0, "at")
    }

    @Test func aCanaryAbortedThenAnotherPromotedUnderLoadIsExact() async throws {
        let cluster = try TestCluster(partitions: 8)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        let blue1 = try WorkerProcess.start(
            cluster: cluster, databaseURL: database, color: "blue", instanceId: "blue-1")
        let blue2 = try WorkerProcess.start(
            cluster: cluster, databaseURL: database, color: "blue", instanceId: "blue-2")
        let green = try WorkerProcess.start(
            cluster: cluster, databaseURL: database, color: "green", instanceId: "green-1")
        defer { [blue1, blue2, green].forEach { $0.runner.kill() } }
        for worker in [blue1, blue2, green] { try await worker.waitReady() }

        let expected = ExpectedStream(orders: 6_000, duplicates: 0.05, invalid: 0.01, seed: 41)
        let publisher = try expected.startPublishing(to: cluster, rate: 1_200)
        defer { publisher.kill() }
        try await Task.sleep(for: .seconds(3))
        var pauses: [String: Double] = [:]

        // A quarter of the partition numbers, on both topics, to green.
        let canary = try Self.step(["--to", "green", "--share", "25%"], database: database, cluster: cluster)
        #expect(canary.status == 0, "\(canary.output)")
        #expect(
            canary.output.contains(
                "canary of group orderstream of orders[0], orders[4], payments[0], payments[4]: blue -> green"),
            "\(canary.output)")
        pauses["canary"] = canary.pause
        var owners = try Self.owners(database)
        #expect(
            owners.filter { $0.value == "green" }.keys.sorted() == [
                "orders[0]", "orders[4]", "payments[0]", "payments[4]",
            ])
        try await Task.sleep(for: .seconds(2))
        // The colors side by side: green owns the canary and has applied some of it.
        let status = try ProcessRunner.orderstream(
            ["status", "--json"],
            environment: ["ORDERSTREAM_DATABASE_URL": database, "ORDERSTREAM_KAFKA_BROKERS": cluster.bootstrap])
        #expect(status.stdout.contains(#"{"color":"green","partitions":4,"#), "\(status.stdout)")
        #expect(status.stdout.contains(#"{"color":"blue","partitions":12,"#), "\(status.stdout)")
        #expect(
            !status.stdout.contains(#""color":"green","partitions":4,"lag":0,"live_workers":1,"events_applied":0,"#),
            "green applied nothing of its canary: \(status.stdout)")

        // Green freezes; the abort hands its partitions back; woken, it commits nothing there.
        green.runner.signal(SIGSTOP)
        let abort = try Self.step(["--abort"], database: database, cluster: cluster)
        let abortFence = try Self.lastFence(database)
        green.runner.signal(SIGCONT)
        #expect(abort.status == 0 && abort.output.contains("abort of group orderstream"), "\(abort.output)")
        pauses["abort"] = abort.pause
        owners = try Self.owners(database)
        #expect(owners.values.allSatisfy { $0 == "blue" }, "\(owners)")
        #expect(try Self.step(["--abort"], database: database, cluster: cluster).output.contains("no canary is out"))
        try await Task.sleep(for: .seconds(2))
        #expect(
            try Self.lateCommits(
                by: "green-1", after: abortFence,
                on: ["orders[0]", "orders[4]", "payments[0]", "payments[4]"], database) == 0)

        // Another canary, by name; a blue worker freezes; the promotion moves everything to green.
        let named = try Self.step(
            ["--to", "green", "--partitions", "orders:1,5,payments:1,5"], database: database, cluster: cluster)
        #expect(named.status == 0, "\(named.output)")
        pauses["canary by name"] = named.pause
        try await Task.sleep(for: .seconds(2))
        blue1.runner.signal(SIGSTOP)
        let promote = try Self.step(["--to", "green", "--promote"], database: database, cluster: cluster)
        let promoteFence = try Self.lastFence(database)
        blue1.runner.signal(SIGCONT)
        try await Task.sleep(for: .seconds(2))
        #expect(try Self.lateCommits(by: "blue-1", after: promoteFence, database) == 0)
        #expect(promote.status == 0 && promote.output.contains("verified:"), "\(promote.output)")
        pauses["promote"] = promote.pause
        owners = try Self.owners(database)
        #expect(owners.values.allSatisfy { $0 == "green" }, "\(owners)")

        #expect(await publisher.wait(timeout: .seconds(90)) == 0)
        let kpis = try await green.waitAccounted(messages: expected.messages)
        #expect(kpis.body == expected.totalsJSON)
        try await Task.sleep(for: .seconds(2))
        #expect(try await green.kpis().accountedMessages == expected.messages, "no event accounted twice")
        let kinds = try TestEnvironment.query(
            database, "SELECT string_agg(kind, ',' ORDER BY epoch) AS k FROM cutovers"
        ).string(0, "k")
        #expect(kinds == "canary,abort,canary,cutover")
        print(
            "canary pauses (s): \(pauses.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.3f", $0.value))" })"
        )
        for (step, pause) in pauses { #expect(pause < 2, "\(step) paused \(pause) s") }
    }

    /// Canary steps again and again under load, alternately aborted and promoted: the pause of
    /// each kind of step (`ORDERSTREAM_TEST_CANARY_ROUNDS` rounds, 4 by default).
    @Test func canaryAbortAndPromoteStepsPauseBrieflyUnderLoad() async throws {
        let rounds = Int(ProcessInfo.processInfo.environment["ORDERSTREAM_TEST_CANARY_ROUNDS"] ?? "") ?? 4
        let cluster = try TestCluster(partitions: 8)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        let workers = [
            try WorkerProcess.start(cluster: cluster, databaseURL: database, color: "blue", instanceId: "blue-1"),
            try WorkerProcess.start(cluster: cluster, databaseURL: database, color: "green", instanceId: "green-1"),
        ]
        defer { workers.forEach { $0.runner.kill() } }
        for worker in workers { try await worker.waitReady() }
        let expected = ExpectedStream(orders: max(4_000, rounds * 1_200), duplicates: 0.02, invalid: 0.01, seed: 43)
        let publisher = try expected.startPublishing(to: cluster, rate: 1_500)
        defer { publisher.kill() }
        try await Task.sleep(for: .seconds(2))

        var pauses: [String: [Double]] = [:]
        var active = "blue"
        for round in 1...rounds {
            let standby = active == "blue" ? "green" : "blue"
            let canary = try Self.step(["--to", standby, "--share", "25%"], database: database, cluster: cluster)
            #expect(canary.status == 0, "\(canary.output)")
            pauses["canary", default: []] += canary.pause.map { [$0] } ?? []
            try await Task.sleep(for: .milliseconds(500))
            let decide =
                round % 2 == 1
                ? try Self.step(["--abort"], database: database, cluster: cluster)
                : try Self.step(["--to", standby, "--promote"], database: database, cluster: cluster)
            #expect(decide.status == 0, "\(decide.output)")
            pauses[round % 2 == 1 ? "abort" : "promote", default: []] += decide.pause.map { [$0] } ?? []
            if round % 2 == 0 { active = standby }
            try await Task.sleep(for: .milliseconds(500))
        }
        for (kind, values) in pauses.sorted(by: { $0.key < $1.key }) {
            let sorted = values.sorted()
            print(
                "\(kind) pauses (s): \(values.map { String(format: "%.3f", $0) }.joined(separator: ", ")); "
                    + "median \(String(format: "%.3f", sorted[sorted.count / 2])), worst \(String(format: "%.3f", sorted.last ?? 0))"
            )
            #expect((sorted.last ?? 0) < 2, "\(kind) paused \(sorted.last ?? 0) s")
        }
        #expect(await publisher.wait(timeout: .seconds(120)) == 0)
        let kpis = try await workers[0].waitAccounted(messages: expected.messages)
        #expect(kpis.body == expected.totalsJSON)
    }
}
