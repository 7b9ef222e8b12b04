import CLibPQ

extension PGConnection {
    /// Runs `body` between BEGIN and COMMIT; ROLLBACK when it throws. Never retries.
    ///
    /// - If the connection is lost inside `body`, every further call in `body` throws
    ///   `.connectionLost` (the session is not replaced mid-transaction), and the error
    ///   propagates. A lost connection during COMMIT means the outcome is unknown.
    /// - If a statement failed inside `body` but `body` swallowed the error, PostgreSQL turns
    ///   COMMIT into ROLLBACK; that is reported as an error, not as success.
    /// - Nested calls are refused (use SAVEPOINT yourself).
    ///
    /// Typed: `body` throws one error type, which `transaction` throws too; a failure of BEGIN
    /// or COMMIT arrives as that type's `.database(PGError)`. Annotate the closure, e.g.
    /// `{ (connection) throws(PGError) -> Int in ... }` (Swift does not infer a closure's
    /// thrown type from its body).
    public func transaction<T, Failure: PGTransactionFailure>(
        isolation: PGIsolationLevel? = nil,
        _ body: (PGConnection) throws(Failure) -> T
    ) throws(Failure) -> T {
        do {
            try enterTransactionBlock()
        } catch {
            throw .database(error)
        }
        defer { leaveTransactionBlock() }
        do {
            if let isolation {
                try execute("BEGIN ISOLATION LEVEL \(isolation.rawValue)")
            } else {
                try execute("BEGIN")
            }
        } catch {
            throw .database(error)
        }
        let value: T
        do {
            value = try body(self)
        } catch {
            rollbackIfConnected()
            throw error
        }
        let commit: PGResult
        do {
            commit = try query("COMMIT")
        } catch {
            throw .database(error)
        }
        if commit.commandTag == "ROLLBACK" {
            throw .database(
                PGError(
                    kind: .other,
                    message: "transaction was rolled back at COMMIT because a statement in it had failed"))
        }
        return value
    }

    private func enterTransactionBlock() throws(PGError) {
        try state.withLock { (state) throws(PGError) in
            if state.inTransactionBlock {
                throw PGError(kind: .other, message: "transaction() called inside a transaction on the same connection")
            }
            state.inTransactionBlock = true
            state.lostInTransaction = false
        }
    }

    private func leaveTransactionBlock() {
        state.withLock { state in
            state.inTransactionBlock = false
            state.lostInTransaction = false
        }
    }

    /// ROLLBACK on the current session only: never opens a new one for it.
    private func rollbackIfConnected() {
        state.withLock { state in
            guard !state.lostInTransaction, let handle = state.handle, PQstatus(handle) == CONNECTION_OK else {
                return
            }
            if let result = PQexec(handle, "ROLLBACK") { PQclear(result) }
        }
    }
}
