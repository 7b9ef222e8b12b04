import Foundation
import Kafka
import OrderStreamTestSupport
import PostgreSQL
import Testing

@testable import OrderStreamWorker

/// The cutover's fence against a frozen worker that holds an open transaction on the position
/// rows: it does not wait for it past its lock timeout, it ends that session, and the frozen
/// transaction commits nothing.
@Suite(.serialized)
struct CutoverTests {
    @Test func aFrozenSessionHoldingThePositionRowsIsEndedAndCommitsNothing() throws {
        let url = try TestEnvironment.freshDatabase()
        let setup = try PGConnection.connect(try PGConnectionConfiguration(url), logger: TestEnvironment.logger())
        defer { setup.close() }
        _ = try PositionStore.ensureControl(group: "g", initialColor: .blue, on: setup)
        let partitions = (0..<3).map { TopicPartition(topic: "orders", partition: $0) }
        _ = try PositionStore.claim(partitions, group: "g", on: setup)

        // A blue worker that froze inside a transaction holding the position rows.
        let frozen = try PGConnection.connect(
            try PGConnectionConfiguration(url).withApplicationName("orderstream:g:blue:frozen-1"),
            logger: TestEnvironment.logger())
        defer { frozen.close() }
        _ = try frozen.execute("BEGIN")
        _ = try frozen.execute(
            "UPDATE partition_positions SET next_offset = next_offset + 100 WHERE consumer_group = 'g'")

        let cutover = Cutover(group: "g", toColor: .green, timeout: .seconds(5), logger: TestEnvironment.logger())
        let started = ContinuousClock.now
        let report = try cutover.run(on: setup) { _ in 0 }  // nothing pending anywhere
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(report.terminatedSessions == 1)
        #expect(report.epoch == 2)
        #expect(report.fromColor == .blue && report.toColor == .green)

        // The frozen transaction wakes up: its commit fails, its update never happened.
        #expect(throws: PGError.self) { try frozen.execute("COMMIT") }
        let rows = try PositionStore.read(partitions, group: "g", on: setup)
        #expect(rows.values.allSatisfy { $0.nextOffset == 0 && $0.ownerColor == .green && $0.epoch == 2 })
        #expect(
            try PositionStore.readControl(group: "g", on: setup)
                == PositionStore.Control(activeColor: .green, epoch: 2))

        // Cutting over to the active color changes nothing; cutting back is the rollback.
        #expect(try cutover.run(on: setup) { _ in 0 }.alreadyActive)
        let back = try Cutover(group: "g", toColor: .blue, timeout: .seconds(5), logger: TestEnvironment.logger()).run(
            on: setup
        ) { _ in 0 }
        #expect(back.epoch == 3 && back.terminatedSessions == 0)
    }

    @Test func aCutoverTimesOutNamingThePartitionsTheNewColorHasNotCommittedOn() throws {
        let url = try TestEnvironment.freshDatabase()
        let connection = try PGConnection.connect(try PGConnectionConfiguration(url), logger: TestEnvironment.logger())
        defer { connection.close() }
        _ = try PositionStore.ensureControl(group: "g", initialColor: .blue, on: connection)
        _ = try PositionStore.claim([TopicPartition(topic: "orders", partition: 0)], group: "g", on: connection)
        let cutover = Cutover(
            group: "g", toColor: .green, timeout: .milliseconds(300), logger: TestEnvironment.logger())
        do {
            _ = try cutover.run(on: connection) { _ in 10 }  // 10 events pending, no green worker
            Issue.record("the cutover did not time out")
        } catch {
            guard case .timedOut(_, let waitingFor) = error else {
                Issue.record("expected a time-out, got \(error)")
                return
            }
            #expect(waitingFor.contains { $0.contains("orders[0]") }, "\(waitingFor)")
        }
        // Exactly this failure, not any failure of the type (a database error would also be one).
        do {
            _ = try Cutover(group: "nobody", toColor: .green, timeout: .seconds(1), logger: TestEnvironment.logger())
                .run(on: connection) { _ in 0 }
            Issue.record("a cutover of a group that never started succeeded")
        } catch {
            guard case .unknownGroup(let group) = error else {
                Issue.record("expected unknownGroup, got \(error)")
                return
            }
            #expect(group == "nobody")
        }
    }

    /// A restore point and the WAL position are recorded before the fence; a role that may not
    /// create one stops the cutover before anything changed, unless asked to go on without.
    @Test func aRestorePointIsRecordedOrTheCutoverRefusesWithoutIt() throws {
        let url = try TestEnvironment.freshDatabase()
        let admin = try PGConnection.connect(try PGConnectionConfiguration(url), logger: TestEnvironment.logger())
        defer { admin.close() }
        _ = try PositionStore.ensureControl(group: "g", initialColor: .blue, on: admin)
        _ = try PositionStore.claim([TopicPartition(topic: "orders", partition: 0)], group: "g", on: admin)

        // The test server's role is a superuser: it may.
        let report = try Cutover(group: "g", toColor: .green, timeout: .seconds(5), logger: TestEnvironment.logger())
            .run(on: admin) { _ in 0 }
        let name = try #require(report.restorePoint)
        #expect(name.hasPrefix("orderstream-g-epoch-2-"), "\(name)")
        let row = try admin.query("SELECT restore_point, wal_lsn::text AS lsn FROM cutovers WHERE epoch = 2")
        #expect(try row.string(0, "restore_point") == name)
        #expect(try row.string(0, "lsn") == report.walPosition)

        // A role without the right (not a superuser, no EXECUTE grant on the function).
        let role = "limited_\(UUID().uuidString.prefix(6).lowercased())"
        _ = try admin.executeScript(
            """
            CREATE ROLE \(role) LOGIN PASSWORD 'limited-pw';
            GRANT ALL ON ALL TABLES IN SCHEMA public TO \(role);
            """)
        var components = try #require(URLComponents(string: url))
        components.user = role
        components.password = "limited-pw"
        let limited = try PGConnection.connect(
            try PGConnectionConfiguration(try #require(components.string)),
            logger: TestEnvironment.logger())
        defer { limited.close() }
        var back = Cutover(group: "g", toColor: .blue, timeout: .seconds(5), logger: TestEnvironment.logger())
        do {
            _ = try back.run(on: limited) { _ in 0 }
            Issue.record("a role that may not create a restore point cut over")
        } catch {
            guard case .restorePointRefused(let reason) = error else {
                Issue.record("expected restorePointRefused, got \(error)")
                return
            }
            #expect(reason.contains("permission denied"), "\(reason)")
            #expect("\(error)".contains("--no-restore-point"))
        }
        #expect(
            try PositionStore.readControl(group: "g", on: admin)
                == PositionStore.Control(activeColor: .green, epoch: 2),
            "a refused cutover changes nothing")
        back.restorePoint = false
        let without = try back.run(on: limited) { _ in 0 }
        #expect(without.restorePoint == nil && without.epoch == 3)
        let recorded = try admin.query("SELECT restore_point, wal_lsn::text AS lsn FROM cutovers WHERE epoch = 3")
        #expect(try recorded.decodeIfPresent(String.self, row: 0, column: "restore_point") == nil)
        #expect(try recorded.string(0, "lsn") == without.walPosition)
    }

    /// The verification: books that balance are verified and stored; an applied event that no
    /// position accounts for (here written behind the cutover's back while it waits) fails it.
    @Test func theVerificationComparesOffsetsWithWhatWasAccountedFor() throws {
        let url = try TestEnvironment.freshDatabase()
        let connection = try PGConnection.connect(try PGConnectionConfiguration(url), logger: TestEnvironment.logger())
        defer { connection.close() }
        let other = try PGConnection.connect(try PGConnectionConfiguration(url), logger: TestEnvironment.logger())
        defer { other.close() }
        _ = try PositionStore.ensureControl(group: "g", initialColor: .blue, on: connection)
        _ = try PositionStore.claim(
            [TopicPartition(topic: "orders", partition: 0), TopicPartition(topic: "payments", partition: 1)],
            group: "g", on: connection)

        let balanced = try Cutover(group: "g", toColor: .green, timeout: .seconds(5), logger: TestEnvironment.logger())
            .run(on: connection) { _ in 0 }
        let verification = try #require(balanced.verification)
        #expect(verification.verified)
        #expect(
            verification.verdict(color: .green, epoch: 2)
                == "verified: 0 offsets since the fence = 0 applied + 0 duplicates + 0 rejected; every partition owned by green at epoch 2"
        )
        let stored = try connection.query("SELECT verified, verdict FROM cutovers WHERE epoch = 2")
        #expect(try stored.bool(0, "verified"))
        #expect(try stored.string(0, "verdict").hasPrefix("verified: "))

        // While the cutover back waits, an applied event appears that no position moved for.
        let unbalanced = try Cutover(
            group: "g", toColor: .blue, timeout: .seconds(5), logger: TestEnvironment.logger()
        )
        .run(on: connection) { _ in
            _ = try? other.execute(
                "INSERT INTO kpi_minutes (minute, kind, members) VALUES ('2026-01-01T00:00:00Z', 'event', 1) ON CONFLICT DO NOTHING"
            )
            return 0
        }
        let failed = try #require(unbalanced.verification)
        #expect(!failed.verified)
        #expect(
            failed.verdict(color: .blue, epoch: 3)
                == "FAILED: 0 offsets since the fence but 1 applied + 0 duplicates + 0 rejected = 1", "\(failed)")
        let recorded = try connection.query("SELECT verified, verdict FROM cutovers WHERE epoch = 3")
        #expect(try !recorded.bool(0, "verified"))
        #expect(try recorded.string(0, "verdict").hasPrefix("FAILED: "))

        // A partition the fence did not reach (written back behind its back) is named.
        let partial = CutoverVerification(notOwned: ["orders[0]"], atFence: failed.now, now: failed.now)
        #expect(partial.verdict(color: .blue, epoch: 3) == "FAILED: not owned by blue at epoch 3: orders[0]")
    }
}
