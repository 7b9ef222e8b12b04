/// An error type a `PGConnection.transaction` body may throw: it can carry the transaction's own
/// failures (BEGIN, COMMIT, a lost session) as `.database(PGError)`, so that `transaction`
/// throws the body's type and a caller's `catch` sees every case by name. An enum with a
/// `case database(PGError)` conforms by declaring it.
public protocol PGTransactionFailure: Error {
    static func database(_ error: PGError) -> Self
}

extension PGError: PGTransactionFailure {
    /// A `PGError` is its own database failure.
    public static func database(_ error: PGError) -> PGError { error }
}
