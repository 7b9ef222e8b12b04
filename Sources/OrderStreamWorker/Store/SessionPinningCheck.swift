import Logging
import PostgreSQL

/// Refuses a database connection that is not one server session for its whole life, such as a
/// connection through PgBouncer in transaction or statement mode.
///
/// OrderStream relies on session state: statements prepared once per session
/// (`queryPrepared`), the migration's session-level advisory lock, and LISTEN/NOTIFY for the
/// control row. Behind a pooler that hands each transaction to whichever server is free, those
/// silently break (a prepared statement missing on another server, a lock held by someone
/// else's session, notifications never delivered), so the worker and `migrate` check once at
/// start-up and refuse with this message.
///
/// The probe is deterministic behind PgBouncer (its default LIFO server reuse): session A reads
/// its server's identity (backend pid and postmaster start time) and goes idle; session B opens
/// a transaction and reads its own; A reads again. Pinned sessions (PostgreSQL directly, or a
/// pooler in session mode) see A twice the same and B different. In transaction mode B is given
/// A's server, now idle, and A's next transaction gets another one.
public enum SessionPinningCheck {
    public static let problem =
        "the database connection is not pinned to one server session (a pooler in transaction mode?): "
        + "OrderStream needs session pooling for its prepared statements, advisory locks and LISTEN/NOTIFY"

    /// Throws `PGError` of kind `.invalidConfiguration` (never retried) when the sessions are not
    /// pinned; connection errors are thrown as they are (a server that is not up yet is retried).
    public static func verify(_ configuration: PGConnectionConfiguration, logger: Logger) throws(PGError) {
        let first = try PGConnection.connect(configuration, logger: logger)
        defer { first.close() }
        let second = try PGConnection.connect(configuration, logger: logger)
        defer { second.close() }
        let before = try serverSession(first)
        do {
            try second.execute("BEGIN")
        } catch {
            if error.kind == .connectionLost || error.kind == .connectionFailed || error.kind == .adminShutdown {
                throw error
            }
            // PgBouncer's statement mode refuses transaction blocks.
            throw PGError(kind: .invalidConfiguration, message: problem + " (BEGIN was refused: \(error.message))")
        }
        let other = try serverSession(second)
        let after = try serverSession(first)
        _ = try second.execute("COMMIT")
        guard before == after, other != before else {
            throw PGError(
                kind: .invalidConfiguration,
                message: problem
                    + " (one session's transactions ran in server backends \(before.pid) and \(after.pid), "
                    + "another session's in \(other.pid))")
        }
        logger.debug("database sessions are pinned", metadata: [WorkerLogKey.backendPID: "\(before.pid)"])
    }

    /// The server session a statement ran in: its backend pid and the server's start time.
    struct ServerSession: Equatable {
        let pid: Int32
        let serverStarted: String
    }

    static func serverSession(_ connection: PGConnection) throws(PGError) -> ServerSession {
        let result = try connection.query(
            "SELECT pg_backend_pid() AS pid, pg_postmaster_start_time()::text AS started")
        return ServerSession(pid: try result.int32(0, "pid"), serverStarted: try result.string(0, "started"))
    }
}
