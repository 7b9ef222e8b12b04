import Logging
import OrderStreamCommon
import OrderStreamDomain
import PostgreSQL
import Synchronization

/// Answers the HTTP API's and the console's reads (KPIs, orders) from PostgreSQL on a bounded
/// pool of connections of their own, so reads never wait behind a lane's batch and a burst of
/// requests never opens more than `maxConnections` sessions: the others wait their turn. Calls
/// run off the cooperative pool. `close()` (at shutdown) ends every session.
public final class QueryService: Sendable {
    /// The pool: idle sessions, how many may still be opened, the reads waiting for one.
    private struct Pool {
        var idle: [PGConnection] = []
        var available: Int
        var waiting: [CheckedContinuation<Bool, Never>] = []
        var closed = false
    }

    private let configuration: PGConnectionConfiguration
    private let pool: Mutex<Pool>
    private let logger: Logger
    public let maxConnections: Int

    public init(databaseURL: String, applicationName: String, maxConnections: Int = 4, logger: Logger) throws(PGError) {
        self.configuration = try PGConnectionConfiguration(databaseURL).withApplicationName(applicationName)
        self.logger = logger
        self.maxConnections = max(1, maxConnections)
        self.pool = Mutex(Pool(available: max(1, maxConnections)))
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

    /// Borrows a session (an idle one, or a new one while fewer than `maxConnections` are open,
    /// else waits for one), runs `body` off the cooperative pool, and gives the session back.
    /// Throws once the service is closed.
    public func withConnection<T: Sendable>(
        _ body: @escaping @Sendable (PGConnection) throws(PGError) -> T
    ) async throws -> T {
        let borrowed = try await acquire()
        let configuration = self.configuration
        let logger = self.logger
        // The session comes back whatever happens (nil: it could not be opened, its slot comes back).
        let (outcome, used): (Result<T, any Error>, PGConnection?) = await Blocking.run {
            let connection: PGConnection
            if let borrowed {
                connection = borrowed
            } else {
                do {
                    connection = try PGConnection.connect(configuration, logger: logger)
                } catch {
                    return (.failure(error), nil)
                }
            }
            do {
                return (.success(try body(connection)), connection)
            } catch {
                return (.failure(error), connection)
            }
        }
        giveBack(used)
        return try outcome.get()
    }

    /// Ends every idle session now and every busy one as it comes back; reads after this throw.
    public func close() {
        let (idle, waiting) = pool.withLock { pool in
            pool.closed = true
            defer { pool.idle = []; pool.waiting = [] }
            return (pool.idle, pool.waiting)
        }
        for connection in idle { connection.close() }
        for waiter in waiting { waiter.resume(returning: false) }
    }

    /// Sessions idle in the pool and sessions that may still be opened (for tests).
    var counts: (idle: Int, available: Int) { pool.withLock { ($0.idle.count, $0.available) } }

    /// An idle session, or nil with the right to open one; waits while all are busy.
    private func acquire() async throws -> PGConnection? {
        enum Turn {
            case idle(PGConnection)
            case open, wait, closed
        }
        let turn: Turn = pool.withLock { pool in
            if pool.closed { return .closed }
            if let connection = pool.idle.popLast() { return .idle(connection) }
            if pool.available > 0 {
                pool.available -= 1
                return .open
            }
            return .wait
        }
        switch turn {
        case .idle(let connection): return connection
        case .open: return nil
        case .closed: throw PGError(kind: .other, message: "the query service is closed (shutting down)")
        case .wait:
            // Woken with a freed slot (true) or by close (false).
            let granted = await withCheckedContinuation { continuation in
                let runNow = pool.withLock { pool -> Bool? in
                    if pool.closed { return false }
                    if pool.available > 0 || !pool.idle.isEmpty { return true }
                    pool.waiting.append(continuation)
                    return nil
                }
                if let runNow { continuation.resume(returning: runNow) }
            }
            guard granted else { throw PGError(kind: .other, message: "the query service is closed (shutting down)") }
            return try await acquire()
        }
    }

    /// Returns a session (nil: its slot, when it could not be opened) to the pool and wakes the
    /// first waiting read.
    private func giveBack(_ connection: PGConnection?) {
        let (waiter, closeIt): (CheckedContinuation<Bool, Never>?, Bool) = pool.withLock { pool in
            if pool.closed { return (nil, true) }
            if let connection { pool.idle.append(connection) } else { pool.available += 1 }
            return (pool.waiting.isEmpty ? nil : pool.waiting.removeFirst(), false)
        }
        if closeIt { connection?.close() }
        waiter?.resume(returning: true)
    }
}
