import Hummingbird
import Kafka
import OrderStreamWorker
import PostgreSQL

/// A console request that cannot be answered with what it asked for: the status and a message
/// that is safe to show (errors of the PostgreSQL layer never carry secrets or row data).
struct ConsoleError: Error, Sendable, Equatable {
    var status: HTTPResponse.Status
    var message: String

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    /// How any error of a read or an action is answered: bad input 400, a refusal by the state
    /// of the group 409, PostgreSQL or Kafka unreachable 503. Nothing is a 500 on purpose.
    static func from(_ error: any Error) -> ConsoleError {
        switch error {
        case let error as ConsoleError:
            return error
        case let error as DeadLetterInputError:
            return ConsoleError(.badRequest, error.description)
        case let error as OperatorPositions.Failure:
            return ConsoleError(.conflict, error.description)
        case let error as Cutover.Failure:
            if case .database(let underlying) = error { return database(underlying) }
            if case .invalidColor = error { return ConsoleError(.badRequest, error.description) }
            return ConsoleError(.conflict, error.description)
        case let error as PGError:
            return database(error)
        case let error as KafkaError:
            return ConsoleError(.serviceUnavailable, "Kafka: \(error)")
        default:
            return ConsoleError(.serviceUnavailable, "\(type(of: error)): \(error)")
        }
    }

    private static func database(_ error: PGError) -> ConsoleError {
        // A refusal by the data or the state (a lock held by a frozen session, a check) is the
        // group's answer, not an outage. The server's DETAIL line is left out: it can hold row data.
        error.isTransient || error.kind == .connectionFailed
            ? ConsoleError(.serviceUnavailable, "the database did not answer: \(error.kind.rawValue)")
            : ConsoleError(
                .conflict, "the database refused (\(error.sqlState ?? error.kind.rawValue)): \(error.message)")
    }
}
