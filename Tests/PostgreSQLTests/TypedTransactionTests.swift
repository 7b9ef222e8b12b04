import Foundation
import OrderStreamTestSupport
import PostgreSQL
import Testing

extension ServerTests {
    /// `transaction` throws its body's own error type: the body's errors come through by name,
    /// and the transaction's own failures (here: a nested BEGIN, a failed statement swallowed
    /// by the body) arrive as that type's `.database`.
    @Suite struct TypedTransaction {
        enum Refusal: PGTransactionFailure, Equatable {
            case tooMany(Int)
            case database(PGError)

            static func == (lhs: Refusal, rhs: Refusal) -> Bool {
                switch (lhs, rhs) {
                case (.tooMany(let a), .tooMany(let b)): a == b
                case (.database(let a), .database(let b)): a.kind == b.kind
                default: false
                }
            }
        }

        @Test func theBodysErrorComesThroughTypedAndNothingCommits() throws {
            let connection = try TestDatabase.connect()
            defer { connection.close() }
            let table = TestEnvironment.uniqueName("typed_tx")
            try connection.execute("CREATE TEMP TABLE \(table) (n int)")
            do throws(Refusal) {
                try connection.transaction { (connection) throws(Refusal) in
                    do throws(PGError) {
                        try connection.execute("INSERT INTO \(table) VALUES (1)")
                    } catch {
                        throw .database(error)
                    }
                    throw .tooMany(3)
                }
                Issue.record("the transaction committed")
            } catch {
                #expect(error == .tooMany(3))
            }
            #expect(try connection.query("SELECT count(*) AS n FROM \(table)").int(0, "n") == 0)
        }

        @Test func theTransactionsOwnFailuresArriveAsTheBodysDatabaseCase() throws {
            let connection = try TestDatabase.connect()
            defer { connection.close() }
            // Nested: refused before BEGIN.
            do throws(Refusal) {
                try connection.transaction { (connection) throws(Refusal) in
                    try connection.transaction { (_) throws(Refusal) in }
                }
                Issue.record("a nested transaction ran")
            } catch {
                guard case .database(let cause) = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
                #expect(cause.description.contains("inside a transaction"))
            }
            // A failed statement the body swallowed: COMMIT turns into ROLLBACK, reported.
            do throws(Refusal) {
                try connection.transaction { (connection) throws(Refusal) in
                    _ = try? connection.execute("SELECT 1/0")
                }
                Issue.record("a failed transaction was reported as committed")
            } catch {
                guard case .database(let cause) = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
                #expect(cause.description.contains("rolled back at COMMIT"))
            }
            #expect(try connection.query("SELECT 1 AS one").int(0, "one") == 1)
        }
    }
}
