import Foundation
import OrderStreamTestSupport
import PostgreSQL
import Testing

extension ServerTests {
    /// A broken session is reported once, then replaced on the next call; never mid-transaction.
    @Suite struct Reconnect {
        @Test func terminatedBackendIsReportedThenReplaced() throws {
            let victim = try TestDatabase.connect()
            let killer = try TestDatabase.connect()
            defer { victim.close(); killer.close() }
            let oldPID = victim.backendPID
            #expect(oldPID != 0)
            try killer.query("SELECT pg_terminate_backend($1::int)", [oldPID])

            let error = try #require(throws: PGError.self) { try victim.query("SELECT 1") }
            #expect([.connectionLost, .adminShutdown].contains(error.kind), "\(error)")
            #expect(error.isTransient)

            #expect(try victim.query("SELECT 2 AS two").int(0, "two") == 2)
            #expect(victim.backendPID != oldPID)
        }

        @Test func aPreparedStatementIsPreparedAgainInANewSession() throws {
            let victim = try TestDatabase.connect()
            let killer = try TestDatabase.connect()
            defer { victim.close(); killer.close() }
            let sql = "SELECT $1::int + 1 AS next"
            #expect(try victim.queryPrepared(name: "plus_one", sql, [1]).int(0, "next") == 2)
            #expect(try victim.queryPrepared(name: "plus_one", sql, [41]).int(0, "next") == 42)
            let prepared = try victim.query("SELECT count(*) AS n FROM pg_prepared_statements WHERE name = 'plus_one'")
            #expect(try prepared.int(0, "n") == 1)
            try killer.query("SELECT pg_terminate_backend($1::int)", [victim.backendPID])
            #expect(throws: PGError.self) { try victim.queryPrepared(name: "plus_one", sql, [1]) }
            #expect(try victim.queryPrepared(name: "plus_one", sql, [9]).int(0, "next") == 10)
            #expect(throws: PGError.self) { try victim.queryPrepared(name: "broken", "SELECT nonsense(", []) }
            #expect(try victim.queryPrepared(name: "plus_one", sql, [0]).int(0, "next") == 1)
        }

        @Test func lostConnectionInsideTransactionIsNotReplacedThere() throws {
            let victim = try TestDatabase.connect()
            let killer = try TestDatabase.connect()
            defer { victim.close(); killer.close() }
            let table = TestEnvironment.uniqueName("txloss")
            try killer.execute("CREATE TABLE \(table) (id int)")
            defer { _ = try? killer.execute("DROP TABLE \(table)") }

            var firstError: PGError?
            var secondError: PGError?
            var bodyRuns = 0
            do {
                try victim.transaction { (connection) throws(PGError) in
                    bodyRuns += 1
                    try connection.execute("INSERT INTO \(table) VALUES (1)")
                    try killer.query("SELECT pg_terminate_backend($1::int)", [connection.backendPID])
                    do throws(PGError) {
                        try connection.execute("INSERT INTO \(table) VALUES (2)")
                    } catch {
                        firstError = error
                    }
                    // A careless body that goes on must not land in a fresh autocommit session.
                    do throws(PGError) {
                        try connection.execute("INSERT INTO \(table) VALUES (3)")
                    } catch {
                        secondError = error
                        throw error
                    }
                }
                Issue.record("transaction unexpectedly succeeded")
            } catch {
                // expected
            }
            #expect(bodyRuns == 1, "a transaction must never be retried silently")
            #expect(firstError?.isTransient == true)
            #expect(secondError?.kind == .connectionLost)
            #expect(try killer.query("SELECT count(*) AS n FROM \(table)").int(0, "n") == 0)
            // After the transaction block, the next call reconnects.
            #expect(try victim.query("SELECT 1 AS one").int(0, "one") == 1)
        }

        @Test func serverRestartIsRecoveredFrom() throws {
            let pgdata = try TestEnvironment.pgdata()
            let connection = try TestDatabase.connect()
            defer { connection.close() }
            #expect(try connection.query("SELECT 1 AS one").int(0, "one") == 1)
            let oldPID = connection.backendPID

            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = [TestDatabase.scriptPath(), "restart", pgdata]
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "testdb.sh restart failed")

            let error = try #require(throws: PGError.self) { try connection.query("SELECT 1") }
            #expect([.connectionLost, .adminShutdown].contains(error.kind), "\(error)")
            #expect(error.isTransient)
            #expect(try connection.query("SELECT 2 AS two").int(0, "two") == 2)
            #expect(connection.backendPID != oldPID)
        }
    }
}
