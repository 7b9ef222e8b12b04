import Foundation
import Kafka
import OrderStreamDomain
import OrderStreamTestSupport
import PostgreSQL
import Testing

@testable import OrderStreamWorker

/// `offsets reset`, `pause` and `resume` against a real PostgreSQL: each change is fenced by a
/// new epoch (a batch in flight under the old one commits nothing), audited, notified, and
/// refused whole when any part of it is wrong.
@Suite(.serialized)
struct OperatorPositionsTests {
    static let partition = FencingTests.partition
    static let marks = [partition: KafkaWatermarks(low: 0, high: 100)]

    static func request(_ command: String, dryRun: Bool = false) -> OperatorPositions.Request {
        OperatorPositions.Request(
            group: "g", actor: "alice@test", command: command, arguments: "--topic orders", dryRun: dryRun)
    }

    /// Whether applying `batch` under `fence` was refused as fenced (and nothing else).
    static func isFenced(_ batch: ValidatedBatch, _ fence: BatchApplier.Fence, _ connection: PGConnection) -> Bool {
        let result = Result { () throws(BatchApplier.Failure) in
            try BatchApplier.apply(batch, fence: fence, on: connection)
        }
        if case .failure(.fenced) = result { return true }
        return false
    }

    /// The failure `body` threw, or nil when it succeeded.
    static func failure(_ body: () throws(OperatorPositions.Failure) -> Void) -> OperatorPositions.Failure? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    static func row(_ connection: PGConnection) throws -> OperatorPositions.Row {
        try #require(try OperatorPositions.rows(group: "g", on: connection).first)
    }

    @Test func pauseFencesABatchInFlightAndIsAuditedAndNotified() throws {
        let (connection, fence, url) = try FencingTests.setUp()
        defer { connection.close() }
        _ = try BatchApplier.apply(FencingTests.batch(offsets: 0..<10, expected: 0), fence: fence, on: connection)
        let listener = try PGConnection.connect(try PGConnectionConfiguration(url), logger: TestEnvironment.logger())
        defer { listener.close() }
        try listener.listen(ControlWatcher.channel)

        let outcome = try OperatorPositions.setPaused(
            true, [Self.partition], request: Self.request("pause"), on: connection)
        #expect(outcome.detail == [Self.partition])
        let epoch = try #require(outcome.epoch)
        #expect(epoch == fence.epochs[Self.partition]! + 1)
        #expect(try PositionStore.readControl(group: "g", on: connection)?.epoch == epoch)
        let paused = try Self.row(connection)
        #expect(paused.paused && paused.epoch == epoch && paused.pausedBy == "alice@test" && paused.nextOffset == 10)

        // The batch a lane took before the pause carries the old epoch: refused.
        #expect(
            Self.isFenced(FencingTests.batch(offsets: 10..<15, expected: 10), fence, connection),
            "a batch taken before the pause was applied")
        // A worker that read the new epoch but not the flag (a release before 0.3.0) is refused too.
        var unaware = fence
        unaware.epochs[Self.partition] = epoch
        #expect(
            Self.isFenced(FencingTests.batch(offsets: 10..<15, expected: 10), unaware, connection),
            "a paused partition was applied by a worker that ignores the flag")
        #expect(try Self.row(connection).nextOffset == 10)
        // A worker of this release sees the flag and holds the partition.
        let seen = try #require(try PositionStore.read([Self.partition], group: "g", on: connection)[Self.partition])
        #expect(!seen.isActive(for: .blue))

        let notes = try listener.waitForNotifications(timeout: .seconds(5))
        #expect(notes.contains { $0.channel == ControlWatcher.channel })
        let audit = try OperationsLog.recent(group: "g", limit: 5, on: connection)
        #expect(audit.count == 1)
        #expect(audit.first?.command == "pause" && audit.first?.actor == "alice@test" && audit.first?.epoch == epoch)

        // Pausing again changes nothing and is not audited; resume makes it applicable again.
        let again = try OperatorPositions.setPaused(
            true, [Self.partition], request: Self.request("pause"), on: connection)
        #expect(again.epoch == nil && again.detail.isEmpty)
        let resumed = try OperatorPositions.setPaused(
            false, [Self.partition], request: Self.request("resume"), on: connection)
        let resumedEpoch = try #require(resumed.epoch)
        #expect(try Self.row(connection).paused == false)
        var current = fence
        current.epochs[Self.partition] = resumedEpoch
        _ = try BatchApplier.apply(FencingTests.batch(offsets: 10..<15, expected: 10), fence: current, on: connection)
        #expect(try Self.row(connection).nextOffset == 15)
        #expect(try OperationsLog.recent(group: "g", limit: 5, on: connection).map(\.command) == ["resume", "pause"])
    }

    @Test func resetMovesUnderANewEpochAndKeepsTheLedger() throws {
        let (connection, fence, _) = try FencingTests.setUp()
        defer { connection.close() }
        _ = try BatchApplier.apply(FencingTests.batch(offsets: 0..<10, expected: 0), fence: fence, on: connection)
        let before = try CutoverVerification.Ledger.read(group: "g", on: connection)

        let dry = try OperatorPositions.reset(
            [Self.partition], to: .shift(-4), request: Self.request("offsets reset", dryRun: true),
            watermarks: Self.marks, on: connection)
        #expect(dry.detail.moves.map(\.to) == [6] && dry.epoch == nil)
        #expect(try Self.row(connection).nextOffset == 10)

        let back = try OperatorPositions.reset(
            [Self.partition], to: .shift(-4), request: Self.request("offsets reset"),
            watermarks: Self.marks, on: connection)
        let epoch = try #require(back.epoch)
        #expect(try Self.row(connection).nextOffset == 6 && (try Self.row(connection).epoch) == epoch)
        // The old epoch is fenced; under the new one the four events are read again as duplicates.
        #expect(throws: BatchApplier.Failure.self) {
            try BatchApplier.apply(FencingTests.batch(offsets: 10..<12, expected: 10), fence: fence, on: connection)
        }
        var current = fence
        current.epochs[Self.partition] = epoch
        let reread = try BatchApplier.apply(
            FencingTests.batch(offsets: 6..<10, expected: 6), fence: current, on: connection)
        #expect(reread.applied == 0, "the four events read again are duplicates")
        let after = try CutoverVerification.Ledger.read(group: "g", on: connection)
        #expect(after.offsets - before.offsets == after.accounted - before.accounted)

        // Forward: the skipped offsets are counted as moved by operators, not as consumed.
        let skip = try OperatorPositions.reset(
            [Self.partition], to: .offset(40), request: Self.request("offsets reset"),
            watermarks: Self.marks, on: connection)
        #expect(skip.detail.moves.first?.delta == 30)
        let skipped = try CutoverVerification.Ledger.read(group: "g", on: connection)
        #expect(skipped.offsets == after.offsets && skipped.accounted == after.accounted)
        #expect(try OperationsLog.recent(group: "g", limit: 5, on: connection).count == 2)
    }

    @Test func aRefusedResetChangesNothing() throws {
        let (connection, fence, _) = try FencingTests.setUp()
        defer { connection.close() }
        _ = try BatchApplier.apply(FencingTests.batch(offsets: 0..<10, expected: 0), fence: fence, on: connection)
        let epoch = try PositionStore.readControl(group: "g", on: connection)?.epoch
        for (target, marks) in [
            (OffsetResetPlan.Target.offset(101), Self.marks),
            (.offset(3), [Self.partition: KafkaWatermarks(low: 5, high: 100)]),
            (.shift(1), [:]),
        ] {
            let refused = Self.failure { () throws(OperatorPositions.Failure) in
                _ = try OperatorPositions.reset(
                    [Self.partition], to: target, request: Self.request("offsets reset"),
                    watermarks: marks, on: connection)
            }
            #expect(refused.map { "\($0)" }?.isEmpty == false, "\(target) was accepted")
        }
        let unknown = Self.failure { () throws(OperatorPositions.Failure) in
            _ = try OperatorPositions.setPaused(
                true, [Self.partition],
                request: OperatorPositions.Request(
                    group: "nobody", actor: "a", command: "pause", arguments: ""), on: connection)
        }
        #expect(unknown.map { "\($0)" } == "consumer group nobody has never run (no control row): nothing to change")
        #expect(try Self.row(connection).nextOffset == 10)
        #expect(try PositionStore.readControl(group: "g", on: connection)?.epoch == epoch)
        #expect(try OperationsLog.recent(group: "g", limit: 5, on: connection).isEmpty)
    }

    @Test func aSessionHoldingThePositionRowsMakesTheCommandGiveUpNotHang() throws {
        let (connection, _, url) = try FencingTests.setUp()
        defer { connection.close() }
        let frozen = try PGConnection.connect(try PGConnectionConfiguration(url), logger: TestEnvironment.logger())
        defer { frozen.close() }
        _ = try frozen.execute("BEGIN")
        _ = try frozen.execute("UPDATE partition_positions SET last_commit_by = 'frozen'")
        let started = ContinuousClock.now
        let failure = Self.failure { () throws(OperatorPositions.Failure) in
            _ = try OperatorPositions.setPaused(true, [Self.partition], request: Self.request("pause"), on: connection)
        }
        #expect(
            failure.map { "\($0)" }?.hasPrefix("another session held the position rows") == true,
            "\(String(describing: failure))")
        #expect(ContinuousClock.now - started < .seconds(20))
        _ = try frozen.execute("ROLLBACK")
        #expect(try Self.row(connection).paused == false)
        #expect(try OperationsLog.recent(group: "g", limit: 5, on: connection).isEmpty)
    }
}
