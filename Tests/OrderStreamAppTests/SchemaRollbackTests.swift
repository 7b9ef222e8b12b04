import Foundation
import OrderStreamApp
import OrderStreamTestSupport
import OrderStreamWorker
import PostgreSQL
import Testing

/// A blue-green switch is a release: green's `migrate` may leave migrations that blue's binary
/// does not know. An additive one (declared compatible) must let blue keep running, restart and
/// take a cutover back; a contract step (declared incompatible) must stop blue from starting and
/// `cutover` from handing over to it, both naming the migration and the release needed.
///
/// The newer release is simulated the way its `migrate` leaves the database: the schema change
/// plus its `schema_migrations` row with the release and the compatibility it declared.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct SchemaRollbackTests {
    static func applyNewerMigration(
        _ database: String, version: Int, name: String, sql: String, compatible: Bool
    ) throws {
        let connection = try PGConnection.connect(
            try PGConnectionConfiguration(database), logger: TestEnvironment.logger())
        defer { connection.close() }
        try connection.transaction { (connection) throws(PGError) in
            _ = try connection.executeScript(sql)
            _ = try connection.execute(
                """
                INSERT INTO schema_migrations (version, name, checksum, release, compatible_with_older)
                VALUES ($1, $2, 'from-a-newer-release', '9.9.0', $3)
                """, [version, name, compatible])
        }
    }

    @Test func blueSurvivesACompatibleNewerMigrationAndRefusesAnIncompatibleOne() async throws {
        let cluster = try TestCluster(partitions: 6)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        var workers: [WorkerProcess] = []
        defer { workers.forEach { $0.runner.kill() } }
        for (color, name) in [("blue", "blue-1"), ("green", "green-1")] {
            workers.append(
                try WorkerProcess.start(cluster: cluster, databaseURL: database, color: color, instanceId: name))
        }
        for worker in workers { try await worker.waitReady(timeout: .seconds(40)) }
        let expected = ExpectedStream(orders: 1_500, duplicates: 0.05, invalid: 0.01, seed: 77)
        let publisher = try expected.startPublishing(to: cluster, rate: 600)
        defer { publisher.kill() }

        // Green's release migrates: an additive column, declared compatible. Green takes over.
        try Self.applyNewerMigration(
            database, version: 99, name: "order_notes",
            sql: "ALTER TABLE orders ADD COLUMN note text;", compatible: true)
        let toGreen = try ZeroDowntimeTests.cutover(to: "green", database: database, cluster: cluster)
        #expect(toGreen.status == 0, "\(toGreen.output)")

        // Blue crashes and restarts against the newer schema: it starts, and takes a cutover back.
        workers[0].runner.signal(SIGKILL)
        _ = await workers[0].runner.wait(timeout: .seconds(5))
        workers[0] = try WorkerProcess.start(
            cluster: cluster, databaseURL: database, color: "blue", instanceId: "blue-2")
        try await workers[0].waitReady(timeout: .seconds(40))
        let plan = try ProcessRunner.orderstream(
            ["migrate", "--plan"], environment: ["ORDERSTREAM_DATABASE_URL": database])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(
            plan.stdout.contains(
                "applied by a newer release: 99 order_notes (release 9.9.0, this binary keeps working)"),
            "\(plan.stdout)")
        #expect(
            plan.stdout.contains(
                "blue-2 (blue, release \(BuildInfo.version), migrations up to \(SchemaMigrations.knownUpTo)): compatible"
            ), "\(plan.stdout)")
        let back = try ZeroDowntimeTests.cutover(to: "blue", database: database, cluster: cluster)
        #expect(back.status == 0, "\(back.output)")

        // A contract step that older releases cannot run against.
        try Self.applyNewerMigration(
            database, version: 100, name: "drop_legacy",
            sql: "CREATE TABLE legacy_gone (id int);", compatible: false)
        // Handing over to green (whose binary does not know it either) is refused before any fence.
        let refused = try ZeroDowntimeTests.cutover(to: "green", database: database, cluster: cluster)
        #expect(refused.status != 0)
        #expect(refused.output.contains("green cannot take over"), "\(refused.output)")
        #expect(refused.output.contains("100 (drop_legacy, needs release 9.9.0 or later)"), "\(refused.output)")
        let control = try TestEnvironment.query(database, "SELECT active_color FROM consumer_control")
        #expect(try control.string(0, "active_color") == "blue", "a refused cutover changes nothing")
        let planAfter = try ProcessRunner.orderstream(
            ["migrate", "--plan"], environment: ["ORDERSTREAM_DATABASE_URL": database])
        #expect(
            planAfter.stdout.contains("INCOMPATIBLE with migration 100 (drop_legacy, needs release 9.9.0 or later)"),
            "\(planAfter.stdout)")

        // The running blue goes on; every event is applied once.
        #expect(await publisher.wait(timeout: .seconds(60)) == 0)
        let kpis = try await workers[0].waitAccounted(messages: expected.messages)
        #expect(kpis.body == expected.totalsJSON)

        // A blue that restarts now refuses to start, naming the migration and the release.
        let restarted = try WorkerProcess.start(
            cluster: cluster, databaseURL: database, color: "blue", instanceId: "blue-3")
        defer { restarted.runner.kill() }
        let exit = await restarted.runner.wait(timeout: .seconds(30))
        #expect(exit != nil && exit != 0, "the worker did not refuse to start")
        #expect(
            restarted.runner.output.contains(
                "the database has migration 100 (drop_legacy) applied, which this binary (migrations up to \(SchemaMigrations.knownUpTo)) does not know "
                    + "and which older releases cannot run against: run release 9.9.0 or later"),
            "\(restarted.runner.output.suffix(1_500))")
        let migrate = try ProcessRunner.orderstream(["migrate"], environment: ["ORDERSTREAM_DATABASE_URL": database])
        #expect(migrate.status != 0)
        #expect(migrate.stderr.contains("run release 9.9.0 or later"), "\(migrate.stderr)")
    }
}
