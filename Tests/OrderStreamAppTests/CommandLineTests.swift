import Foundation
import OrderStreamTestSupport
import OrderStreamWorker
import PostgreSQL
import Testing

/// The command line as operators meet it: bad input is named and exits non-zero, secrets are
/// never printed, and `migrate` is safe from several processes at once.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct CommandLineTests {
    @Test func aBadFlagExitsNonZeroNamingIt() throws {
        let result = try ProcessRunner.orderstream(["worker", "--no-such-flag"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--no-such-flag"))
        let port = try ProcessRunner.orderstream(["worker", "--http-port", "eighty"])
        #expect(port.status != 0)
        #expect(port.stderr.contains("http-port"))
        let orders = try ProcessRunner.orderstream(["loadgen", "--orders", "0"])
        #expect(orders.status != 0)
        #expect(orders.stderr.contains("--orders"))
    }

    @Test func anUnknownLibrdkafkaPropertyIsNamed() throws {
        let result = try ProcessRunner.orderstream(
            ["publish"],
            environment: ["ORDERSTREAM_KAFKA_NO_SUCH_PROPERTY": "1", "ORDERSTREAM_KAFKA_BROKERS": "127.0.0.1:1"],
            input: "{}\n")
        #expect(result.status != 0)
        #expect((result.stderr + result.stdout).contains("no.such.property"))
    }

    @Test func aMalformedDatabaseURLIsNamedWithoutItsPassword() throws {
        let result = try ProcessRunner.orderstream(
            ["migrate", "--database-url", "postgresql://admin:hunter2-secret@127.0.0.1:notaport/db"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("invalid database URL"), "\(result.stderr)")
        #expect(!result.stderr.contains("hunter2-secret"))
        let refused = try ProcessRunner.orderstream(
            ["migrate", "--database-url", "postgresql://admin:hunter2-secret@127.0.0.1:1/db"])
        #expect(refused.status != 0)
        #expect(!refused.stderr.contains("hunter2-secret"))
    }

    @Test func badConfigurationIsNamed() throws {
        let folder = ProcessInfo.processInfo.environment["ORDERSTREAM_TEST_TMP"] ?? NSTemporaryDirectory()
        let file = folder + "/bad-\(UUID().uuidString.prefix(6)).yaml"
        try "kafka:\n  brokers: 127.0.0.1:9092\ndatabse:\n  url: x\n".write(
            toFile: file, atomically: true, encoding: .utf8)
        let typo = try ProcessRunner.orderstream(["migrate", "--config", file])
        #expect(typo.status != 0)
        #expect(typo.stderr.contains("databse"))
        let missing = try ProcessRunner.orderstream(["migrate", "--config", folder + "/nope.yaml"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("nope.yaml"))
        let color = try ProcessRunner.orderstream(["migrate"], environment: ["ORDERSTREAM_COLOR": "purple"])
        #expect(color.status != 0)
        #expect(color.stderr.contains("ORDERSTREAM_COLOR"))
        let unknown = try ProcessRunner.orderstream(["migrate"], environment: ["ORDERSTREAM_DATABSE_URL": "x"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("ORDERSTREAM_DATABSE_URL"))
    }

    @Test func aSecretFromAFileIsReadAndNeverPrinted() throws {
        let folder = ProcessInfo.processInfo.environment["ORDERSTREAM_TEST_TMP"] ?? NSTemporaryDirectory()
        let file = folder + "/url-\(UUID().uuidString.prefix(6))"
        try "postgresql://admin:file-secret-42@127.0.0.1:1/db\n".write(toFile: file, atomically: true, encoding: .utf8)
        let result = try ProcessRunner.orderstream(["migrate"], environment: ["ORDERSTREAM_DATABASE_URL_FILE": file])
        #expect(result.status != 0)
        // It was read: the error is about connecting to port 1, not about configuration.
        #expect(result.stderr.contains("port 1") || result.stderr.contains("Connection refused"), "\(result.stderr)")
        #expect(!result.stderr.contains("file-secret-42"))
        #expect(!result.stdout.contains("file-secret-42"))
    }

    @Test func fourConcurrentMigrationsLeaveOneAppliedSet() async throws {
        let database = try TestEnvironment.freshDatabase(migrated: false)
        let runs = try (0..<4).map { index in
            try ProcessRunner.start(
                "migrate-\(index)", ["migrate"], environment: ["ORDERSTREAM_DATABASE_URL": database])
        }
        for run in runs {
            #expect(await run.wait(timeout: .seconds(60)) == 0, "\(run.output)")
        }
        let rows = try TestEnvironment.query(
            database, "SELECT version, count(*) AS n FROM schema_migrations GROUP BY version ORDER BY version")
        #expect(rows.rowCount == SchemaMigrations.all.count)
        for row in 0..<rows.rowCount {
            #expect(try rows.int64(row, "n") == 1)
        }
        let all = SchemaMigrations.all.map { String($0.version) }.joined(separator: ", ")
        #expect(runs.filter { $0.output.contains("migrations applied: \(all);") }.count == 1)
        #expect(runs.filter { $0.output.contains("migrations applied: none; already applied: \(all)") }.count == 3)
    }

    @Test func aChangedMigrationIsRefused() throws {
        let database = try TestEnvironment.freshDatabase()
        _ = try TestEnvironment.query(database, "UPDATE schema_migrations SET checksum = 'tampered' WHERE version = 1")
        let result = try ProcessRunner.orderstream(["migrate"], environment: ["ORDERSTREAM_DATABASE_URL": database])
        #expect(result.status != 0)
        #expect(result.stderr.contains("checksum"), "\(result.stderr)")
    }
}
