import Foundation
import OrderStreamTestSupport
import PostgreSQL
import Testing

extension ServerTests {
    /// LISTEN/NOTIFY and COPY FROM STDIN.
    @Suite struct Streaming {
        @Test func listenNotifyRoundTrip() throws {
            let listener = try TestDatabase.connect()
            let sender = try TestDatabase.connect()
            defer { listener.close(); sender.close() }
            let channel = TestEnvironment.uniqueName("Chan")  // mixed case: needs quoting
            try listener.listen(channel)

            let started = ContinuousClock.now
            #expect(try listener.waitForNotifications(timeout: .milliseconds(200)).isEmpty)
            #expect(ContinuousClock.now - started >= .milliseconds(150))

            try sender.query("SELECT pg_notify($1, $2)", [channel, "payload 1"])
            try sender.query("SELECT pg_notify($1, $2)", [channel, "payload 2"])
            var received: [PGNotification] = []
            let deadline = ContinuousClock.now + .seconds(5)
            while received.count < 2, ContinuousClock.now < deadline {
                received += try listener.waitForNotifications(timeout: .seconds(1))
            }
            #expect(received.map(\.payload) == ["payload 1", "payload 2"])
            #expect(received.allSatisfy { $0.channel == channel && $0.senderPID == sender.backendPID })

            // After a reconnect the LISTEN is re-issued.
            try sender.query("SELECT pg_terminate_backend($1::int)", [listener.backendPID])
            _ = try? listener.waitForNotifications(timeout: .seconds(1))
            _ = try? listener.query("SELECT 1")
            try listener.query("SELECT 1")
            try sender.query("SELECT pg_notify($1, $2)", [channel, "after reconnect"])
            let again = try listener.waitForNotifications(timeout: .seconds(5))
            #expect(again.map(\.payload) == ["after reconnect"])
        }

        @Test func copyInStreamsRows() throws {
            let connection = try TestDatabase.connect()
            defer { connection.close() }
            let table = TestEnvironment.uniqueName("copyin")
            try connection.execute("CREATE TABLE \(table) (id bigint, body text)")
            defer { _ = try? connection.execute("DROP TABLE \(table)") }
            let bodies: [String?] = ["tab\there", "new\nline", "back\\slash", nil, "\\N literal", "plain", "ünï"]
            let count = 20_000
            let lines = (0..<count).lazy.map { PGCopyText.line([String($0), bodies[$0 % bodies.count]]) }
            let copied = try connection.copyIn(sql: "COPY \(table) (id, body) FROM STDIN", rows: lines)
            #expect(copied == count)
            let result = try connection.query("SELECT id, body FROM \(table) ORDER BY id")
            #expect(result.rowCount == count)
            var mismatches = 0
            for row in 0..<count where try result[row, "body"] as String? != bodies[row % bodies.count] {
                mismatches += 1
            }
            #expect(mismatches == 0)
        }

        @Test func copyInBadDataFailsAndConnectionStaysUsable() throws {
            let connection = try TestDatabase.connect()
            defer { connection.close() }
            let table = TestEnvironment.uniqueName("copybad")
            try connection.execute("CREATE TABLE \(table) (id bigint)")
            defer { _ = try? connection.execute("DROP TABLE \(table)") }
            let error = try #require(throws: PGError.self) {
                try connection.copyIn(sql: "COPY \(table) FROM STDIN", rows: ["1", "not-a-number", "3"])
            }
            #expect(error.sqlState == "22P02")
            #expect(try connection.query("SELECT count(*) AS n FROM \(table)").int(0, "n") == 0)
            let notCopy = try #require(throws: PGError.self) { try connection.copyIn(sql: "SELECT 1", rows: ["x"]) }
            #expect(notCopy.kind == .other)
            #expect(try connection.query("SELECT 5 AS five").int(0, "five") == 5)
        }
    }
}
