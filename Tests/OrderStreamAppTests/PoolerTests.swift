import Foundation
import OrderStreamDomain
import OrderStreamTestSupport
import Testing

/// Behind PgBouncer (`scripts/pgbouncer.sh`, in front of the shared test server): session
/// pooling works for every command; transaction pooling is refused at start with the reason.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct PoolerTests {
    static let refusal = "not pinned to one server session"

    /// A fresh database on the test server, and its URL through a new pooler in `mode`.
    static func database(
        behind mode: String, servers: ThrowawayServers, migrated: Bool
    )
        throws -> (direct: String, pooled: String, name: String)
    {
        let direct = try TestEnvironment.freshDatabase(migrated: migrated)
        let pooler = try servers.startPooler(
            "pgbouncer-\(mode)", mode: mode, upstreamPort: try ThrowawayServers.port(of: direct))
        var components = try #require(URLComponents(string: pooler))
        let name = try #require(URLComponents(string: direct)?.path)
        components.path = name
        return (direct, try #require(components.string), String(name.dropFirst()))
    }

    @Test func sessionPoolingRunsMigrateWorkersStatusAndCutover() async throws {
        let servers = try ThrowawayServers("pooler-session")
        defer { servers.stopAll() }
        let database = try Self.database(behind: "session", servers: servers, migrated: false)
        let url = database.pooled

        let migrate = try ProcessRunner.orderstream(["migrate"], environment: ["ORDERSTREAM_DATABASE_URL": url])
        #expect(migrate.status == 0, "\(migrate.stderr)")
        #expect(migrate.stdout.contains("migrations applied: 1, 2"), "\(migrate.stdout)")

        let cluster = try TestCluster(partitions: 6)
        defer { cluster.close() }
        let blue = try WorkerProcess.start(cluster: cluster, databaseURL: url, color: "blue", instanceId: "pooled-blue")
        defer { blue.runner.kill() }
        try await blue.waitReady()
        let green = try WorkerProcess.start(
            cluster: cluster, databaseURL: url, color: "green", instanceId: "pooled-green")
        defer { green.runner.kill() }
        try await green.waitReady()

        // ~11,000 messages at 1,000/s: the cutover happens mid-stream.
        let expected = ExpectedStream(orders: 3_000, duplicates: 0.05, invalid: 0.01, seed: 37)
        let publisher = try expected.startPublishing(to: cluster, rate: 1_000)
        defer { publisher.kill() }
        try await Task.sleep(for: .seconds(3))
        #expect(publisher.isRunning, "publishing ended before the cutover")
        let cutover = try ProcessRunner.orderstream(
            ["cutover", "--to", "green", "--timeout", "30"],
            environment: ["ORDERSTREAM_DATABASE_URL": url, "ORDERSTREAM_KAFKA_BROKERS": cluster.bootstrap])
        #expect(cutover.status == 0, "\(cutover.stdout)\(cutover.stderr)")
        #expect(cutover.stdout.contains("processing pause: "), "\(cutover.stdout)")

        #expect(await publisher.wait(timeout: .seconds(60)) == 0)
        let kpis = try await green.waitAccounted(messages: expected.messages)
        #expect(kpis.body == expected.totalsJSON)
        #expect(try await blue.kpis().body == expected.totalsJSON)

        let status = try ProcessRunner.orderstream(
            ["status", "--json"],
            environment: ["ORDERSTREAM_DATABASE_URL": url, "ORDERSTREAM_KAFKA_BROKERS": cluster.bootstrap])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("\"active_color\":\"green\""), "\(status.stdout)")
        #expect(status.stdout.contains("\"instance_id\":\"pooled-blue\""), "\(status.stdout)")
        #expect(!status.stdout.contains("\"owner_color\":\"blue\""), "\(status.stdout)")

        // It all really went through the pooler.
        let log = (try? String(contentsOfFile: servers.path("pgbouncer-session/pgbouncer.log"), encoding: .utf8)) ?? ""
        #expect(log.contains("db=\(database.name)"), "PgBouncer never saw \(database.name)")
        for worker in [blue, green] {
            #expect(worker.runner.isRunning)
            #expect(!worker.runner.output.contains(Self.refusal))
        }
    }

    @Test func transactionPoolingIsRefusedAtStartWithTheReason() async throws {
        let servers = try ThrowawayServers("pooler-transaction")
        defer { servers.stopAll() }
        let database = try Self.database(behind: "transaction", servers: servers, migrated: true)
        let url = database.pooled

        let migrate = try ProcessRunner.orderstream(["migrate"], environment: ["ORDERSTREAM_DATABASE_URL": url])
        #expect(migrate.status != 0)
        #expect(migrate.stderr.contains(Self.refusal), "\(migrate.stderr)")
        #expect(migrate.stderr.contains("session pooling"), "\(migrate.stderr)")
        #expect(migrate.stderr.contains("prepared statements, advisory locks and LISTEN/NOTIFY"), "\(migrate.stderr)")
        #expect(!migrate.stderr.contains("orderstream-secret"))

        let cluster = try TestCluster(partitions: 2)
        defer { cluster.close() }
        let worker = try WorkerProcess.start(cluster: cluster, databaseURL: url, instanceId: "pooled-transaction")
        defer { worker.runner.kill() }
        let status = await worker.runner.wait(timeout: .seconds(30))
        #expect(status != nil && status != 0, "the worker did not exit non-zero (status \(String(describing: status)))")
        #expect(worker.runner.output.contains(Self.refusal), "\(worker.runner.output.suffix(2_000))")
        #expect(worker.runner.output.contains("session pooling"))
        // It refused before changing anything: not registered as a worker.
        let registered = try TestEnvironment.query(database.direct, "SELECT count(*)::bigint AS n FROM workers").int64(
            0, "n")
        #expect(registered == 0)

        // The same database straight from PostgreSQL passes the check.
        let direct = try ProcessRunner.orderstream(
            ["migrate"], environment: ["ORDERSTREAM_DATABASE_URL": database.direct])
        #expect(direct.status == 0, "\(direct.stderr)")
    }
}
