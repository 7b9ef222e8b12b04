import Kafka
import PostgreSQL

extension BatchApplier {
    /// Waits for the acknowledgements of a batch's dead letters: up to the given time (nil: as
    /// long as it takes); true when all are in, false when the time passed first; throws the
    /// first failed delivery. `DeadLetterDelivery.wait(timeout:)` in the worker.
    typealias DeadLetterAcknowledgements = (Duration?) throws(KafkaError) -> Bool

    /// How long a batch's transaction, its statement done, waits for its dead letters'
    /// acknowledgements before it rolls back and waits without holding anything.
    static let deadLetterGrace: Duration = .seconds(1)

    /// Applies `batch` so that it commits only once the broker acknowledged its dead letters
    /// (a position never moves past a message whose dead letter is not safely written), while
    /// the broker and PostgreSQL work at the same time: the statement runs in a transaction,
    /// and COMMIT follows the acknowledgements.
    ///
    /// Why: waiting for the acknowledgements *before* the statement (as the worker used to) left
    /// the lane's session idle for a broker round trip in every batch with a rejection, which
    /// under a backlog is nearly every batch (docs/BENCHMARKS.md, "Dead letters acknowledged
    /// while the statement runs").
    ///
    /// When they are already in, this is `apply` (one statement, its implicit transaction). When
    /// they are not in `grace` after the statement (a slow or unreachable broker), the
    /// transaction rolls back, so that no position row or inserted key stays locked through a
    /// broker outage (a cutover or another owner would queue behind it); then this waits for
    /// them with nothing open and applies the batch as `apply` does. A failed delivery throws
    /// `.deadLetters`, with nothing committed.
    static func apply(
        _ batch: ValidatedBatch, fence: Fence, on connection: PGConnection,
        afterDeadLetters acknowledged: DeadLetterAcknowledgements, grace: Duration = deadLetterGrace
    ) throws(Failure) -> Outcome {
        if try awaited(acknowledged, .zero) {
            return try apply(batch, fence: fence, on: connection)
        }
        /// How the transaction ended when it did not commit.
        enum Attempt: PGTransactionFailure {
            case failed(Failure)
            case notAcknowledgedYet
            static func database(_ error: PGError) -> Attempt { .failed(.database(error)) }
        }
        do throws(Attempt) {
            return try connection.transaction { (connection) throws(Attempt) -> Outcome in
                let outcome: Outcome
                let done: Bool
                do throws(Failure) {
                    outcome = try apply(batch, fence: fence, on: connection)
                    done = try awaited(acknowledged, grace)
                } catch {
                    throw .failed(error)
                }
                guard done else { throw .notAcknowledgedYet }
                return outcome
            }
        } catch {
            switch error {
            case .failed(let failure): throw failure
            case .notAcknowledgedYet: break
            }
        }
        _ = try awaited(acknowledged, nil)
        return try apply(batch, fence: fence, on: connection)
    }

    private static func awaited(
        _ acknowledged: DeadLetterAcknowledgements, _ timeout: Duration?
    ) throws(Failure)
        -> Bool
    {
        do {
            return try acknowledged(timeout)
        } catch {
            throw .deadLetters(error)
        }
    }
}
