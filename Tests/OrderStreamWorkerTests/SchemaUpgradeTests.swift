import Foundation
import Kafka
import OrderStreamDomain
import OrderStreamLoadGen
import OrderStreamTestSupport
import PostgreSQL
import Testing

@testable import OrderStreamWorker

/// Migration 8 (KPI membership moves from `kpi_members` onto orders, payments and customers) on a
/// database that release 0.3.0 filled: nothing is lost or counted twice, before and after.
///
/// A stream (duplicates across the cut included) is applied partly by release 0.3.0's statement
/// on schema version 7, the database is migrated, and the rest is applied by today's statement.
/// Right after the migration the KPIs, windows, per-minute series and orders are those of before;
/// at the end they are the independent reference model's for the whole stream.
@Suite(.serialized)
struct SchemaUpgradeTests {
    static let start = RFC3339.parseMicros("2026-11-26T12:00:00Z")!
    static let release03 = (name: "orderstream_apply_release03", sql: ApplyStatementRelease03.sql)

    /// What the readers show: totals, windows, the per-minute series and every order.
    struct Readings: Equatable, CustomStringConvertible {
        var totals: KPISnapshot
        var windows: [KPISnapshot]
        var minutes: [KPISeries.Minute]
        var orders: [OrderView?]

        var description: String { "totals \(totals), windows \(windows)" }
    }

    /// Eleven-minute windows over the stream's first 40 minutes.
    static let windows = stride(from: Int64(0), to: 40, by: 6).map {
        KPIWindow(fromMicros: start + $0 * 60_000_000, toMicros: start + ($0 + 11) * 60_000_000)
    }

    static func read(orderIds: [String], on connection: PGConnection) throws -> Readings {
        Readings(
            totals: try KPIQueries.kpis(window: nil, on: connection),
            windows: try windows.map { try KPIQueries.kpis(window: $0, on: connection) },
            minutes: try KPISeries.minutes(
                window: KPIWindow(fromMicros: start - 60_000_000, toMicros: start + 60 * 60_000_000), on: connection),
            orders: try orderIds.map { try KPIQueries.order(id: $0, on: connection) })
    }

    /// A stream of both topics merged at random (each topic in its own order, as Kafka keeps it).
    static func stream(seed: UInt64) -> [ConsumedMessage] {
        var random = SplitMix64(seed: seed &* 104_729)
        let generated = Array(
            LoadGenerator(orders: 150, duplicates: 0.15, invalid: 0.03, seed: seed, startMicros: start))
        return SQLApplyPropertyTests.merged(generated, random: &random)
    }

    /// A database at schema version 7, as release 0.3.0 left it.
    static func release03Database() throws -> (url: String, connection: PGConnection) {
        let url = try TestEnvironment.freshDatabase(migrated: false)
        let connection = try PGConnection.connect(try PGConnectionConfiguration(url), logger: TestEnvironment.logger())
        _ = try MigrationRunner(connection).migrate(SchemaMigrations.all.filter { $0.version <= 7 })
        return (url, connection)
    }

    /// Applies `messages` in batches of 1...50 with `statement`, from the positions in `expected`.
    static func apply(
        _ messages: ArraySlice<ConsumedMessage>, expected: inout [TopicPartition: Int64],
        fence: BatchApplier.Fence, statement: (name: String, sql: String), random: inout SplitMix64,
        on connection: PGConnection
    ) throws {
        var index = messages.startIndex
        while index < messages.endIndex {
            let size = 1 + Int(random.next() % 50)
            let batch = ValidatedBatch(
                messages: Array(messages[index..<min(index + size, messages.endIndex)]), expected: expected)
            _ = try BatchApplier.apply(batch, fence: fence, on: connection, statement: statement)
            for (key, slice) in batch.partitions { expected[key] = slice.nextOffset }
            index += size
        }
    }

    @Test(arguments: [UInt64(11), 12, 13])
    func aDatabaseOfRelease03MigratesWithoutLosingOrDoubleCounting(seed: UInt64) throws {
        let messages = Self.stream(seed: seed)
        var reference = ReferenceModel()
        for message in messages {
            reference.apply(topic: message.partition.topic, key: message.key, value: message.value)
        }
        let (_, connection) = try Self.release03Database()
        defer { connection.close() }
        _ = try PositionStore.ensureControl(group: "g", initialColor: .blue, on: connection)
        let partitions = [
            TopicPartition(topic: "orders", partition: 0), TopicPartition(topic: "payments", partition: 0),
        ]
        let rows = try PositionStore.claim(partitions, group: "g", on: connection)
        var expected = rows.mapValues(\.nextOffset)
        let fence = BatchApplier.Fence(group: "g", color: .blue, instanceId: "test", epochs: rows.mapValues(\.epoch))
        var random = SplitMix64(seed: seed)

        // Release 0.3.0 applies the first 60%: members in kpi_members, one row per kind and member.
        let cut = messages.count * 6 / 10
        try Self.apply(
            messages[..<cut], expected: &expected, fence: fence, statement: Self.release03, random: &random,
            on: connection)
        let before = try Self.read(orderIds: reference.orderIds, on: connection)
        let members = try connection.query("SELECT kind, member_id FROM kpi_members WHERE kind LIKE 'payment_%'")
        var expectedBits: [String: Int] = [:]
        for row in 0..<members.rowCount {
            let kind = try #require(KPIKind(rawValue: try members.string(row, "kind")))
            expectedBits[try members.string(row, "member_id"), default: 0] |= try #require(
                MemberStorage.place(of: kind)?.bit)
        }
        let customerMembers = try connection.query("SELECT count(*) AS n FROM kpi_members WHERE kind = 'customer'")
            .int64(0, "n")
        #expect(before.totals.ordersCreated > 0 && before.totals.paymentsCaptured > 0)

        // The migration (no worker runs): the readers show exactly what they showed.
        let report = try SchemaMigrations.apply(on: connection)
        #expect(report.applied == [8])
        #expect(try Self.read(orderIds: reference.orderIds, on: connection) == before)
        // Every payment's kinds carry the bits MemberStorage gives them, which the SQL spells again.
        let payments = try connection.query("SELECT payment_id, kinds FROM payments")
        var storedBits: [String: Int] = [:]
        for row in 0..<payments.rowCount {
            storedBits[try payments.string(row, "payment_id")] = Int(try payments.int64(row, "kinds"))
        }
        #expect(storedBits == expectedBits)
        #expect(try connection.query("SELECT count(*) AS n FROM customers").int64(0, "n") == customerMembers)
        #expect(try connection.query("SELECT to_regclass('kpi_members') IS NULL AS gone").bool(0, "gone"))

        // Today's statement applies the rest, duplicates of events applied before the cut included.
        try Self.apply(
            messages[cut...], expected: &expected, fence: fence,
            statement: (ApplyStatement.preparedName, ApplyStatement.sql), random: &random, on: connection)
        try SQLApplyPropertyTests.expectReferenceResult(reference, windows: Self.windows, on: connection)
    }

    /// A database the migration cannot move exactly is refused whole: nothing changes, and the
    /// message says why.
    @Test(arguments: [
        (
            "INSERT INTO kpi_members (kind, member_id, order_id, minute) VALUES ('gift_card', 'g-1', 'o-1', now())",
            "kinds this release does not know: gift_card"
        ),
        (
            "INSERT INTO kpi_members (kind, member_id, order_id, minute) VALUES ('order_shipped', 'o-9', 'o-9', now())",
            "1 order members of kpi_members do not show on their orders"
        ),
        (
            "INSERT INTO orders (order_id, customer_id, created) VALUES ('o-8', 'c-8', true)",
            "1 orders have a flag without its kpi_members row"
        ),
    ])
    func aDatabaseThatCannotMoveExactlyIsRefusedUnchanged(damage: String, message: String) throws {
        let (_, connection) = try Self.release03Database()
        defer { connection.close() }
        _ = try connection.execute(damage)
        #expect {
            _ = try SchemaMigrations.apply(on: connection)
        } throws: { error in
            "\(error)".contains(message)
        }
        #expect(try connection.query("SELECT max(version) AS v FROM schema_migrations").int64(0, "v") == 7)
        #expect(try connection.query("SELECT to_regclass('kpi_members') IS NOT NULL AS kept").bool(0, "kept"))
        #expect(try connection.query("SELECT to_regclass('payments') IS NULL AS none").bool(0, "none"))
    }

    /// Migration 8 stops older releases: while a worker that does not know it is alive, neither
    /// `migrate` nor a starting worker applies it; once that worker is gone, it applies.
    @Test func aLiveWorkerOfAnOlderReleaseKeepsTheMigrationFromRunning() throws {
        let (_, connection) = try Self.release03Database()
        defer { connection.close() }
        _ = try connection.execute(
            """
            INSERT INTO workers (instance_id, consumer_group, color, application_name, state, release, known_migration)
            VALUES ('blue-1', 'shop', 'blue', 'orderstream:shop:blue:blue-1', 'running', '0.3.0', 7)
            """)
        #expect {
            _ = try SchemaMigrations.applyUnlessLiveWorkersBlock(on: connection)
        } throws: { error in
            "\(error)".hasPrefix(
                "migration 8 (member_columns, needs release 0.4.0 or later) stops older releases, "
                    + "and these live workers run one: blue-1 (blue, release 0.3.0, migrations up to 7). Stop")
        }
        #expect(try connection.query("SELECT max(version) AS v FROM schema_migrations").int64(0, "v") == 7)
        // A worker of this release does not block it.
        _ = try connection.execute("UPDATE workers SET release = '0.4.0', known_migration = 8")
        _ = try connection.execute(
            """
            INSERT INTO workers (instance_id, consumer_group, color, application_name, state, release, known_migration)
            VALUES ('green-1', 'other', 'green', 'orderstream:other:green:green-1', 'running', '0.3.0', 7)
            """)
        #expect(throws: LiveWorkersBlockMigration.self) {
            _ = try SchemaMigrations.applyUnlessLiveWorkersBlock(on: connection)
        }
        // Gone (no heartbeat for a minute): the migration runs.
        _ = try connection.execute("UPDATE workers SET heartbeat_at = now() - interval '1 minute'")
        #expect(try SchemaMigrations.applyUnlessLiveWorkersBlock(on: connection).applied == [8])
    }
}
