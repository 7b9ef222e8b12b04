import Logging
import OrderStreamDomain
import PostgreSQL
import Synchronization

/// Answers the HTTP API's and the console's reads (KPIs, orders) from PostgreSQL on a small set of connections of
/// their own, so reads never wait behind a lane's batch. Calls run on each connection's serial
/// queue (the PostgreSQL layer's async API), never on the cooperative pool.
public final class QueryService: Sendable {
    private let configuration: PGConnectionConfiguration
    private let idle = Mutex<[PGConnection]>([])
    private let logger: Logger

    public init(databaseURL: String, applicationName: String, logger: Logger) throws(PGError) {
        self.configuration = try PGConnectionConfiguration(databaseURL).withApplicationName(applicationName)
        self.logger = logger
    }

    public func kpis(window: KPIWindow?) async throws -> KPISnapshot {
        try await withConnection { connection throws(PGError) in try KPIQueries.kpis(window: window, on: connection) }
    }

    public func order(id: String) async throws -> OrderView? {
        try await withConnection { connection throws(PGError) in try KPIQueries.order(id: id, on: connection) }
    }

    public func orderEvents(id: String) async throws -> [OrderTimeline.Entry] {
        try await withConnection { connection throws(PGError) in try OrderTimeline.events(orderId: id, on: connection) }
    }

    /// Borrows an idle connection (or opens one), runs `body` off the cooperative pool, and
    /// returns the connection for reuse; at most 4 are kept. The console's reads use it too.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws(PGError) -> T) async throws -> T {
        let borrowed = idle.withLock { $0.popLast() }
        let configuration = self.configuration
        let logger = self.logger
        let result: T = try await DedicatedThread.run(name: "orderstream-query") {
            let connection = try borrowed ?? PGConnection.connect(configuration, logger: logger)
            do {
                let value = try body(connection)
                self.giveBack(connection)
                return value
            } catch {
                self.giveBack(connection)
                throw error
            }
        }
        return result
    }

    private func giveBack(_ connection: PGConnection) {
        idle.withLock { pool in
            if pool.count < 4 { pool.append(connection) } else { connection.close() }
        }
    }
}
