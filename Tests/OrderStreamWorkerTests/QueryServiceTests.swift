import Foundation
import OrderStreamTestSupport
import PostgreSQL
import Testing

@testable import OrderStreamWorker

/// The read path's pool against a real PostgreSQL: a burst of reads never opens more than the
/// pool's sessions, a failed read gives its session back, and `close()` ends every session.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct QueryServiceTests {
    static func sessions(_ database: String, _ name: String) throws -> Int64 {
        try TestEnvironment.query(
            database, "SELECT count(*)::bigint AS n FROM pg_stat_activity WHERE application_name = $1", [name]
        ).int64(0, "n")
    }

    @Test func aBurstOfReadsWaitsForThePoolsSessionsAndCloseEndsThem() async throws {
        let database = try TestEnvironment.freshDatabase()
        let name = "query-pool-\(UUID().uuidString.prefix(6))"
        let service = try QueryService(
            databaseURL: database, applicationName: name, maxConnections: 3, logger: TestEnvironment.logger())
        let busiest = try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<12 {
                group.addTask {
                    try await service.withConnection { connection throws(PGError) in
                        // While it sleeps, count the pool's sessions that are running a query.
                        _ = try connection.query("SELECT pg_sleep(0.15)")
                        return try connection.query(
                            "SELECT count(*)::bigint AS n FROM pg_stat_activity WHERE application_name = $1", [name]
                        ).int64(0, "n")
                    }
                }
            }
            return try await group.reduce(0) { max($0, $1) }
        }
        #expect(busiest <= 3, "never more sessions than the pool allows")
        #expect(busiest >= 2, "reads ran side by side")
        #expect(service.counts.idle == 3 && service.counts.available == 0)

        // A failing read gives its session back.
        await #expect(throws: PGError.self) {
            try await service.withConnection { connection throws(PGError) in _ = try connection.query("SELECT 1/0") }
        }
        #expect(service.counts.idle == 3)
        #expect(try Self.sessions(database, name) == 3)

        service.close()
        let ended = await TestEnvironment.eventually(timeout: .seconds(5)) { (try? Self.sessions(database, name)) == 0 }
        #expect(ended, "close ends every session")
        await #expect(throws: PGError.self) { try await service.kpis(window: nil) }
    }

    @Test func anUnreachableDatabaseGivesTheSlotBack() async throws {
        let service = try QueryService(
            databaseURL: "postgresql://nobody@127.0.0.1:1/none", applicationName: "unreachable",
            maxConnections: 1, logger: TestEnvironment.logger())
        for _ in 0..<3 {
            await #expect(throws: PGError.self) { try await service.kpis(window: nil) }
        }
        #expect(service.counts.available == 1 && service.counts.idle == 0)
    }
}
