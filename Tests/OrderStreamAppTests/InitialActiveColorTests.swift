import Foundation
import OrderStreamTestSupport
import Testing

/// Which color is active in a new consumer group is decided (`migrate --active-color`, blue by
/// default), never raced by the order in which blue and green workers start.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct InitialActiveColorTests {
    @Test func greenStartingFirstOnANewDatabaseStaysStandby() async throws {
        let cluster = try TestCluster(partitions: 3)
        defer { cluster.close() }
        // Not migrated: the first worker migrates the database itself.
        let database = try TestEnvironment.freshDatabase(migrated: false)
        let green = try WorkerProcess.start(
            cluster: cluster, databaseURL: database, color: "green", instanceId: "green-first")
        defer { green.runner.kill() }
        try await green.waitReady()
        let greenRole = try await HTTPProbe.get(green.baseURL + "/health/ready").body
        #expect(greenRole.contains(#""role":"standby""#), "\(greenRole)")
        let blue = try WorkerProcess.start(
            cluster: cluster, databaseURL: database, color: "blue", instanceId: "blue-second")
        defer { blue.runner.kill() }
        try await blue.waitReady()
        let blueRole = try await HTTPProbe.get(blue.baseURL + "/health/ready").body
        #expect(blueRole.contains(#""role":"active""#), "\(blueRole)")
        let status = try ProcessRunner.orderstream(
            ["status", "--json"],
            environment: [
                "ORDERSTREAM_DATABASE_URL": database, "ORDERSTREAM_KAFKA_BROKERS": cluster.bootstrap,
            ])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains(#""active_color":"blue""#), "\(status.stdout.prefix(400))")
    }

    @Test func migrateDecidesTheActiveColorOnceAndOnlyCutoverChangesIt() throws {
        let database = try TestEnvironment.freshDatabase(migrated: false)
        let environment = ["ORDERSTREAM_DATABASE_URL": database, "ORDERSTREAM_GROUP": "shop"]
        let green = try ProcessRunner.orderstream(["migrate", "--active-color", "green"], environment: environment)
        #expect(green.status == 0, "\(green.stderr)")
        #expect(green.stdout.contains("consumer group shop: green is active"), "\(green.stdout)")
        // Again with the same color: nothing to do, fine.
        let again = try ProcessRunner.orderstream(["migrate", "--active-color", "green"], environment: environment)
        #expect(again.status == 0, "\(again.stderr)")
        // Another color for a group that exists: refused, naming the way that works.
        let blue = try ProcessRunner.orderstream(["migrate", "--active-color", "blue"], environment: environment)
        #expect(blue.status == 1)
        #expect(blue.stderr.contains("cutover --to blue"), "\(blue.stderr)")
        // Without the flag: the group keeps its color, a new group gets the recorded one (green:
        // the refused command above changed nothing).
        let plain = try ProcessRunner.orderstream(["migrate"], environment: environment)
        #expect(plain.stdout.contains("consumer group shop: green is active"), "\(plain.stdout)")
        let other = try ProcessRunner.orderstream(["migrate", "--group", "other"], environment: environment)
        #expect(other.stdout.contains("consumer group other: green is active"), "\(other.stdout)")
        // A new database records blue.
        let fresh = try TestEnvironment.freshDatabase(migrated: false)
        let defaulted = try ProcessRunner.orderstream(["migrate"], environment: ["ORDERSTREAM_DATABASE_URL": fresh])
        #expect(defaulted.stdout.contains("consumer group orderstream: blue is active"), "\(defaulted.stdout)")
        let bad = try ProcessRunner.orderstream(["migrate", "--active-color", "purple"], environment: environment)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--active-color must be blue or green"), "\(bad.stderr)")
    }
}
