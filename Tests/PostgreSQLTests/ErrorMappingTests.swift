import Foundation
import OrderStreamTestSupport
import PostgreSQL
import Synchronization
import Testing

extension ServerTests {
    /// SQLSTATEs mapped to kinds, produced by real conflicts between real sessions.
    @Suite struct ErrorMapping {
        @Test func uniqueViolation() throws {
            let connection = try TestDatabase.connect()
            defer { connection.close() }
            let table = TestEnvironment.uniqueName("uniq")
            try connection.execute("CREATE TABLE \(table) (id int PRIMARY KEY)")
            defer { _ = try? connection.execute("DROP TABLE \(table)") }
            try connection.execute("INSERT INTO \(table) VALUES (1)")
            let error = try #require(throws: PGError.self) { try connection.execute("INSERT INTO \(table) VALUES (1)") }
            #expect(error.kind == .uniqueViolation)
            #expect(error.sqlState == "23505")
            #expect(!error.isTransient)
            #expect(error.message.contains("duplicate key"))
        }

        /// The DETAIL line can quote the row (here a card number): never in `description`, which
        /// is what logs and answers print; still there for debugging.
        @Test func descriptionLeavesOutTheRowDataOfDetail() throws {
            let connection = try TestDatabase.connect()
            defer { connection.close() }
            let table = TestEnvironment.uniqueName("detail")
            try connection.execute("CREATE TABLE \(table) (card text CHECK (length(card) < 5))")
            defer { _ = try? connection.execute("DROP TABLE \(table)") }
            let error = try #require(throws: PGError.self) {
                try connection.execute("INSERT INTO \(table) VALUES ('4111111111111111')")
            }
            #expect(error.sqlState == "23514")
            #expect(error.isCausedByData && !error.isTransient)
            #expect(error.detail?.contains("4111111111111111") == true, "\(String(describing: error.detail))")
            #expect(!error.description.contains("4111111111111111"), "\(error.description)")
            #expect(!"\(error)".contains("4111111111111111"))
            #expect(String(reflecting: error).contains("4111111111111111"))
        }

        @Test func serializationFailureBetweenTwoSerializableTransactions() throws {
            let first = try TestDatabase.connect()
            let second = try TestDatabase.connect()
            defer { first.close(); second.close() }
            let table = TestEnvironment.uniqueName("serial")
            try first.execute("CREATE TABLE \(table) (class int, value int)")
            defer { _ = try? first.execute("DROP TABLE \(table)") }
            try first.execute("INSERT INTO \(table) VALUES (1, 10), (2, 20)")

            // Write skew: each reads one class and writes into the other.
            try first.execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
            try first.query("SELECT sum(value) FROM \(table) WHERE class = 1")
            var caught: PGError?
            do {
                try second.transaction(isolation: .serializable) { (second) throws(PGError) in
                    try second.query("SELECT sum(value) FROM \(table) WHERE class = 2")
                    try first.execute("INSERT INTO \(table) VALUES (2, 1)")
                    try second.execute("INSERT INTO \(table) VALUES (1, 2)")
                    try first.execute("COMMIT")
                }
            } catch {
                caught = error
            }
            let error = try #require(caught)
            #expect(error.kind == .serializationFailure)
            #expect(error.sqlState == "40001")
            #expect(error.isTransient)
            // The loser was rolled back and its connection is usable.
            #expect(try second.query("SELECT count(*) AS n FROM \(table) WHERE class = 1").int(0, "n") == 1)
        }

        @Test func deadlockBetweenTwoThreads() async throws {
            let setup = try TestDatabase.connect()
            defer { setup.close() }
            let table = TestEnvironment.uniqueName("deadlock")
            _ = try TestDatabase.run(setup, "CREATE TABLE \(table) (id int PRIMARY KEY, value int)")
            defer { TestDatabase.runIgnoringErrors(setup, "DROP TABLE \(table)") }
            _ = try TestDatabase.run(setup, "INSERT INTO \(table) VALUES (1, 0), (2, 0)")
            let connections = [try TestDatabase.connect(), try TestDatabase.connect()]
            defer { connections.forEach { $0.close() } }

            let firstLocksTaken = DispatchGroup()
            firstLocksTaken.enter()
            firstLocksTaken.enter()
            let outcomes = await TestEnvironment.onThreads(2) { index -> PGError? in
                let connection = connections[index]
                let (mine, theirs) = index == 0 ? (1, 2) : (2, 1)
                do {
                    try connection.execute("SET deadlock_timeout = '100ms'")
                    try connection.transaction { (connection) throws(PGError) in
                        try connection.execute("UPDATE \(table) SET value = value + 1 WHERE id = $1", [mine])
                        firstLocksTaken.leave()
                        firstLocksTaken.wait()
                        try connection.execute("UPDATE \(table) SET value = value + 1 WHERE id = $1", [theirs])
                    }
                    return nil
                } catch let error as PGError {
                    return error
                } catch {
                    return PGError(kind: .other, message: "\(error)")
                }
            }
            let errors = outcomes.compactMap { $0 }
            #expect(errors.count == 1, "exactly one side is chosen as the deadlock victim: \(outcomes)")
            let error = try #require(errors.first)
            #expect(error.kind == .deadlockDetected)
            #expect(error.sqlState == "40P01")
            #expect(error.isTransient)
            // The winner committed both rows.
            #expect(try TestDatabase.run(setup, "SELECT sum(value) AS s FROM \(table)").int(0, "s") == 2)
        }

        @Test func lockTimeout() throws {
            let holder = try TestDatabase.connect()
            let waiter = try TestDatabase.connect()
            defer { holder.close(); waiter.close() }
            let table = TestEnvironment.uniqueName("locktimeout")
            try holder.execute("CREATE TABLE \(table) (id int PRIMARY KEY)")
            defer { _ = try? holder.execute("DROP TABLE \(table)") }
            try holder.execute("INSERT INTO \(table) VALUES (1)")

            try holder.execute("BEGIN")
            try holder.query("SELECT * FROM \(table) WHERE id = 1 FOR UPDATE")
            var caught: PGError?
            do {
                try waiter.transaction { (waiter) throws(PGError) in
                    try waiter.execute("SET LOCAL lock_timeout = '100ms'")
                    try waiter.query("SELECT * FROM \(table) WHERE id = 1 FOR UPDATE")
                }
            } catch {
                caught = error
            }
            try holder.execute("ROLLBACK")
            let error = try #require(caught)
            #expect(error.kind == .lockNotAvailable)
            #expect(error.sqlState == "55P03")
            #expect(error.isTransient)
        }

        @Test func wrongPasswordFailsWithoutLeakingIt() throws {
            var components = try #require(URLComponents(string: try TestDatabase.url()))
            let wrong = "wrong-Pa55word-\(UUID().uuidString.prefix(6))"
            components.password = wrong
            let configuration = try PGConnectionConfiguration(try #require(components.string))
            let error = try #require(throws: PGError.self) { try PGConnection.connect(configuration) }
            #expect(error.kind == .connectionFailed)
            #expect(error.isTransient)
            #expect(error.message.contains("password authentication failed"), "\(error)")
            #expect(!error.description.contains(wrong))
            #expect(!String(reflecting: error).contains(wrong))
        }

        @Test func closedPortFailsWithoutLeakingThePassword() throws {
            let password = try TestDatabase.password()
            var components = try #require(URLComponents(string: try TestDatabase.url()))
            components.port = 1
            let configuration = try PGConnectionConfiguration(try #require(components.string))
            let error = try #require(throws: PGError.self) { try PGConnection.connect(configuration) }
            #expect(error.kind == .connectionFailed)
            #expect(error.message.contains("port 1"), "\(error)")
            #expect(!error.description.contains(password))
            #expect(!String(reflecting: error).contains(password))
            #expect(!configuration.redacted.contains(password))
        }
    }
}
