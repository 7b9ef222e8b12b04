/// The one error type of the PostgreSQL layer.
///
/// It exists so callers can decide what to do (retry, reconnect, give up) from a `kind`
/// rather than from message text. Its `description` is safe to log: messages that libpq or
/// the server produce are scrubbed of the connection's password before they are stored here.
public struct PGError: Error, Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What went wrong, in terms a caller acts on.
    public enum Kind: String, Sendable, Equatable {
        /// Could not open a connection (refused, bad password, unknown host, ...).
        case connectionFailed
        /// An open connection broke; the next call on the same `PGConnection` reconnects.
        case connectionLost
        /// SQLSTATE 40001: retry the whole transaction.
        case serializationFailure
        /// SQLSTATE 40P01: retry the whole transaction.
        case deadlockDetected
        /// SQLSTATE 23505.
        case uniqueViolation
        /// SQLSTATE 55P03 (`lock_timeout`, `NOWAIT`).
        case lockNotAvailable
        /// SQLSTATE 57014 (`statement_timeout`, a cancel request).
        case queryCanceled
        /// SQLSTATE 57P01/57P02/57P03 (termination, shutdown) and class 08 (connection exception).
        case adminShutdown
        /// The connection URL/conninfo or another argument is invalid.
        case invalidConfiguration
        /// A result value could not be decoded into the requested Swift type.
        case decoding
        /// Anything else; `sqlState` tells the rest.
        case other
    }

    public var kind: Kind
    /// The five-character SQLSTATE when the server sent one.
    public var sqlState: String?
    /// The server's primary message, or libpq's / this layer's message.
    public var message: String
    /// The server's DETAIL line, if any.
    public var detail: String?

    public init(
        kind: Kind, sqlState: String? = nil, message: String, detail: String? = nil
    ) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
    }

    /// `error` itself when it is a `PGError`, else an `.other` error describing it: for an
    /// untyped `throws` whose errors are ours or this layer's.
    public init(wrapping error: any Error) {
        if let error = error as? PGError {
            self = error
        } else {
            self.init(kind: .other, message: "\(error)")
        }
    }

    /// Whether retrying (a new transaction, possibly after a reconnect) may succeed: connection
    /// loss, serialization failures, deadlocks, lock timeouts, shutdowns, a server that is
    /// read-only (SQLSTATE 25006: a standby during a failover), out of resources (class 53) or
    /// with a system error (class 58).
    public var isTransient: Bool {
        switch kind {
        case .connectionLost, .connectionFailed, .serializationFailure, .deadlockDetected,
            .adminShutdown, .lockNotAvailable:
            return true
        case .uniqueViolation, .queryCanceled, .invalidConfiguration, .decoding, .other:
            guard let sqlState else { return false }
            return sqlState == "25006" || sqlState.hasPrefix("53") || sqlState.hasPrefix("58")
        }
    }

    /// Whether the statement's data made it fail, so that running the same data again cannot
    /// succeed: SQLSTATE classes 21 (cardinality violation), 22 (data exception), 23 (integrity
    /// constraint violation) and 54 (program limit exceeded, e.g. an index row too large).
    /// Such a failure can be tied to one input row by applying smaller parts of the input.
    public var isCausedByData: Bool {
        guard let sqlState, sqlState.count == 5 else { return false }
        return ["21", "22", "23", "54"].contains(String(sqlState.prefix(2)))
    }

    /// Safe for logs and answers: kind, SQLSTATE and the primary message, never the server's
    /// DETAIL line, which can quote row data (`Failing row contains (...)`).
    public var description: String {
        var text = "PGError.\(kind.rawValue)"
        if let sqlState { text += " [\(sqlState)]" }
        text += ": \(message)"
        return text
    }

    /// `description` plus the DETAIL line, for debugging (`String(reflecting:)`, debug logs).
    public var debugDescription: String {
        guard let detail else { return description }
        return description + " DETAIL: \(detail)"
    }

    /// Maps a SQLSTATE to a kind; nil for codes without a dedicated kind.
    static func kind(forSQLState state: String) -> Kind? {
        switch state {
        case "40001": return .serializationFailure
        case "40P01": return .deadlockDetected
        case "23505": return .uniqueViolation
        case "55P03": return .lockNotAvailable
        case "57014": return .queryCanceled
        case "57P01", "57P02", "57P03": return .adminShutdown
        default:
            return state.hasPrefix("08") ? .adminShutdown : nil
        }
    }
}
