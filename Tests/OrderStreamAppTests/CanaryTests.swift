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
    static func step(_ arguments: [String], database: String, cluster: TestCluster) throws -> (status: Int32, output: String, pause: Double?) {
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
    static func lateCommits(by instance: String, after time: String, on partitions: [String]? = nil, _ database: String) throws -> Int64 {
        try TestEnvironment.query(
            database,
            """
            SELECT count(*)::bigint AS n FROM partition_positions
            WHERE last_commit_by = $1 AND last_commit_at > $2::timestamptz
              AND ($3::text[] IS NULL OR topic || '[' || partition || ']' = ANY($3::text[]))
            """,
            [instance, time, partitions]).int64(0, "n")
    }

    static func lastFence(_ database: String) throws -> String {
        try TestEnvironment.query(database, "SELECT max(fenced_at)::text AS at FROM cutovers").string(0, "at")
    }

    @Test func aCanaryAbortedThenAnotherPromotedUnderLoadIsExact() async throws {
        let cluster = try TestCluster(partitions: 8)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        let blue1 = try WorkerProcess.start(cluster: cluster, databaseURL: database, color: "blue", instanceId: "blue-1")
        let blue2 = try WorkerProcess.start(cluster: cluster, databaseURL: database, color: "blue", instanceId: "blue-2")
        let green = try WorkerProcess.start(cluster: cluster, databaseURL: database, color: "green", instanceId: "green-1")
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
        #expect(canary.output.contains("canary of group orderstream of orders[0], orders[4], payments[0], payments[4]: blue -> green"),
                "\(canary.output)")
        pauses["canary"] = canary.pause
        var owners = try Self.owners(database)
        #expect(owners.filter { $0.value == "green" }.keys.sorted() == ["orders[0]", "orders[4]", "payments[0]", "payments[4]"])
        try await Task.sleep(for: .seconds(2))

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
        #expect(try Self.lateCommits(by: "green-1", after: abortFence,
                                     on: ["orders[0]", "orders[4]", "payments[0]", "payments[4]"], database) == 0)

        // Another canary, by name; a blue worker freezes; the promotion moves everything to green.
        let named = try Self.step(["--to", "green", "--partitions", "orders:1,5,payments:1,5"], database: database, cluster: cluster)
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
        let kinds = try TestEnvironment.query(database, "SELECT string_agg(kind, ',' ORDER BY epoch) AS k FROM cutovers").string(0, "k")
        #expect(kinds == "canary,abort,canary,cutover")
        print("canary pauses (s): \(pauses.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.3f", $0.value))" })")
        for (step, pause) in pauses { #expect(pause < 2, "\(step) paused \(pause) s") }
    }
}
