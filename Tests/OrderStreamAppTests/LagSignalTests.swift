import Foundation
import Kafka
import OrderStreamDomain
import OrderStreamTestSupport
import PostgreSQL
import Testing

/// The scaling signal against a known backlog: lag in events and seconds, paused partitions,
/// and the desired worker count, from `orderstream status` and from a worker's `/metrics`.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct LagSignalTests {
    /// Backlog per partition; payments/0 is paused (with a backlog of its own for `status`),
    /// payments/1 stays empty.
    static let backlog: [(topic: String, partition: Int32, count: Int)] = [
        ("orders", 0, 30), ("orders", 1, 20), ("payments", 0, 10),
    ]

    /// Publishes the backlog (any bytes: lag counts offsets) and returns the wall clock (ms)
    /// just before the first and just after the last acknowledgement.
    static func publishBacklog(
        to cluster: TestCluster, _ backlog: [(topic: String, partition: Int32, count: Int)] = backlog
    )
        async throws -> (first: Int64, last: Int64)
    {
        let producer = try KafkaProducer(
            configuration: ["bootstrap.servers": cluster.bootstrap], logger: TestEnvironment.logger("producer"))
        defer { producer.close() }
        let first = nowMillis()
        for (topic, partition, count) in backlog {
            for index in 0..<count {
                _ = try await producer.send(
                    KafkaOutgoingMessage(topic: topic, partition: partition, value: Array("lag-\(index)".utf8)))
            }
        }
        return (first, nowMillis())
    }

    static func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// Runs a worker until it holds all partitions and their position rows exist, then stops it.
    static func createPositionRows(cluster: TestCluster, database: String) async throws {
        let worker = try WorkerProcess.start(cluster: cluster, databaseURL: database)
        defer { worker.runner.kill() }
        try await worker.waitReady()
        let rows = await TestEnvironment.eventually(timeout: .seconds(30)) {
            (try? TestEnvironment.query(database, "SELECT count(*)::int8 AS n FROM partition_positions").int64(0, "n"))
                == 4
        }
        #expect(rows, "the worker did not create the 4 position rows")
        worker.runner.signal(SIGTERM)
        #expect(await worker.runner.wait(timeout: .seconds(30)) == 0)
    }

    /// Pauses a partition as `orderstream pause` does: the flag, and an epoch bump that fences
    /// whatever a worker has in flight.
    static func pause(_ topic: String, _ partition: Int32, database: String) throws {
        _ = try TestEnvironment.query(
            database,
            """
            UPDATE partition_positions SET paused = true, paused_at = now(), paused_by = 'lag-test', epoch = epoch + 1
            WHERE topic = $1 AND partition = $2 RETURNING epoch
            """, [topic, partition])
    }

    @Test func statusReportsAKnownBacklogInEventsAndSecondsAndPausedPartitions() async throws {
        let cluster = try TestCluster(partitions: 2)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        try await Self.createPositionRows(cluster: cluster, database: database)
        // No worker runs: the backlog stays.
        let published = try await Self.publishBacklog(to: cluster)
        try Self.pause("payments", 0, database: database)
        try await Task.sleep(for: .seconds(2))

        let before = Self.nowMillis()
        let status = try ProcessRunner.orderstream(
            ["status", "--json"],
            environment: ["ORDERSTREAM_DATABASE_URL": database, "ORDERSTREAM_KAFKA_BROKERS": cluster.bootstrap])
        let after = Self.nowMillis()
        #expect(status.status == 0, "\(status.stderr)")
        let report = try #require(try JSONParser.parse(status.stdout).objectValue, "\(status.stdout)")
        var rows: [String: [String: JSONValue]] = [:]
        for row in report["partitions"]?.arrayValue ?? [] {
            guard let row = row.objectValue, let topic = row["topic"]?.stringValue,
                let partition = row["partition"]?.integerValue
            else { continue }
            rows["\(topic)/\(partition)"] = row
        }
        #expect(rows.count == 4, "\(status.stdout)")
        for (name, events) in [("orders/0", 30), ("orders/1", 20)] {
            let row = try #require(rows[name], "\(status.stdout)")
            #expect(row["lag"]?.integerValue == Int64(events), "\(name): \(status.stdout)")
            #expect(row["state"]?.stringValue == "lagging")
            #expect(row["paused"] == .bool(false))
            // The age of the first message at measurement time: published between `first` and
            // `last`, measured between `before` and `after`.
            let seconds = try #require(
                Self.double(row["lag_seconds"]), "\(name) has no lag in seconds: \(status.stdout)")
            #expect(seconds >= Double(before - published.last) / 1000 - 0.01, "\(name): \(seconds) s")
            #expect(seconds <= Double(after - published.first) / 1000 + 0.01, "\(name): \(seconds) s")
        }
        let paused = try #require(rows["payments/0"])
        #expect(paused["state"]?.stringValue == "paused", "\(status.stdout)")
        #expect(paused["paused"] == .bool(true))
        #expect(paused["lag"] == .null, "a paused backlog is not lag: \(status.stdout)")
        #expect(paused["lag_seconds"] == .null)
        let empty = try #require(rows["payments/1"])
        #expect(empty["lag"]?.integerValue == 0)
        #expect(empty["state"]?.stringValue == "caught_up")
        #expect(Self.double(empty["lag_seconds"]) == 0)
        #expect(report["not_measured"]?.arrayValue == [], "\(status.stdout)")

        // The table says the same, and where lag could not be measured.
        let table = try ProcessRunner.orderstream(
            ["status"],
            environment: ["ORDERSTREAM_DATABASE_URL": database, "ORDERSTREAM_KAFKA_BROKERS": cluster.bootstrap])
        #expect(
            table.stdout.contains("total lag: 50 events in 2 lagging partitions; 1 paused (not counted as lag)"),
            "\(table.stdout)")
        #expect(table.stdout.contains("oldest unapplied event: "), "\(table.stdout)")
    }

    @Test func statusSaysWhereLagCouldNotBeMeasured() async throws {
        let cluster = try TestCluster(partitions: 2)
        let database = try TestEnvironment.freshDatabase()
        try await Self.createPositionRows(cluster: cluster, database: database)
        try Self.pause("payments", 0, database: database)
        cluster.close()  // no broker answers any more
        let status = try ProcessRunner.orderstream(
            ["status", "--json"],
            environment: ["ORDERSTREAM_DATABASE_URL": database, "ORDERSTREAM_KAFKA_BROKERS": cluster.bootstrap])
        #expect(status.status == 0, "\(status.stderr)")
        let report = try #require(try JSONParser.parse(status.stdout).objectValue, "\(status.stdout)")
        let notes = (report["not_measured"]?.arrayValue ?? []).compactMap(\.stringValue)
        // Every partition but the paused one, whose lag is not asked for.
        #expect(
            notes.sorted()
                == ["orders[0]", "orders[1]", "payments[1]"].map {
                    "\($0): no high watermark from Kafka (lag in events and seconds unknown)"
                }, "\(status.stdout)")
        for row in report["partitions"]?.arrayValue ?? [] {
            let row = try #require(row.objectValue)
            #expect(row["lag"] == .null && row["lag_seconds"] == .null, "\(status.stdout)")
            #expect(
                row["state"]?.stringValue == (row["paused"] == .bool(true) ? "paused" : "unknown"), "\(status.stdout)")
        }
        let table = try ProcessRunner.orderstream(
            ["status"],
            environment: ["ORDERSTREAM_DATABASE_URL": database, "ORDERSTREAM_KAFKA_BROKERS": cluster.bootstrap])
        #expect(table.stdout.contains("not measured: orders[0]: no high watermark from Kafka"), "\(table.stdout)")
    }

    @Test func aWorkerPublishesLagSecondsPausedPartitionsAndDesiredWorkers() async throws {
        let cluster = try TestCluster(partitions: 2)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        try await Self.createPositionRows(cluster: cluster, database: database)
        try Self.pause("payments", 0, database: database)
        // The orders position rows are locked by this session: the worker fetches and buffers the
        // backlog but cannot commit it, so the backlog stays known while it runs.
        let lock = try await PGConnection.connect(
            try PGConnectionConfiguration(database), logger: TestEnvironment.logger())
        defer { lock.close() }
        _ = try await lock.execute("BEGIN")
        _ = try await lock.query("SELECT * FROM partition_positions WHERE topic = 'orders' FOR UPDATE")

        let worker = try WorkerProcess.start(cluster: cluster, databaseURL: database)
        defer { worker.runner.kill() }
        try await worker.waitReady()
        // The backlog is on the orders partitions only: the paused payments/0 is held (assigned,
        // nothing applied) and reported as paused, with or without a backlog.
        let published = try await Self.publishBacklog(to: cluster, Self.backlog.filter { $0.topic == "orders" })

        var body = ""
        let measured = await TestEnvironment.eventually(timeout: .seconds(40), every: .milliseconds(500)) {
            body = (await HTTPProbe.tryGet(worker.baseURL + "/metrics"))?.body ?? ""
            return Self.metric("orderstream_partition_lag", #"topic="orders",partition="0""#, in: body) == 30
                && Self.metric("orderstream_partition_lag", #"topic="orders",partition="1""#, in: body) == 20
                && Self.metric("orderstream_partition_lag_seconds", #"topic="orders",partition="0""#, in: body) != nil
                && Self.metric("orderstream_partition_lag_seconds", #"topic="orders",partition="1""#, in: body) != nil
                && Self.metric("orderstream_partition_paused", #"topic="payments",partition="0""#, in: body) == 1
        }
        let scraped = Self.nowMillis()
        #expect(
            measured,
            "lag never reached the backlog: \(body.split(separator: "\n").filter { $0.contains("lag") || $0.contains("paused") })"
        )
        for partition in ["0", "1"] {
            let labels = #"topic="orders",partition="\#(partition)""#
            let seconds = try #require(Self.metric("orderstream_partition_lag_seconds", labels, in: body))
            // Measured (every 5 s) at most 6 s before the scrape, after the publication.
            #expect(seconds <= Double(scraped - published.first) / 1000 + 0.01, "orders/\(partition): \(seconds) s")
            #expect(seconds >= Double(scraped - published.last) / 1000 - 6, "orders/\(partition): \(seconds) s")
        }
        // Paused: no lag reported for it; caught up: zero in events and seconds.
        #expect(Self.metric("orderstream_partition_lag", #"topic="payments",partition="0""#, in: body) == nil)
        #expect(Self.metric("orderstream_partition_lag_seconds", #"topic="payments",partition="0""#, in: body) == nil)
        #expect(Self.metric("orderstream_partition_lag", #"topic="payments",partition="1""#, in: body) == 0)
        #expect(Self.metric("orderstream_partition_lag_seconds", #"topic="payments",partition="1""#, in: body) == 0)
        #expect(Self.metric("orderstream_partition_paused", #"topic="orders",partition="0""#, in: body) == 0)
        // Two lagging partitions, but no apply rate measured yet (nothing could commit): the one
        // worker running stays the count, no scaling on no evidence.
        let group = #"consumer_group="orderstream""#
        #expect(
            Self.metric("orderstream_desired_workers", group, in: body) == 1,
            "\(body.split(separator: "\n").filter { $0.contains("desired") })")
        #expect(Self.metric("orderstream_worker_apply_capacity_events_per_second", group, in: body) == 0)

        // Once the lock goes the backlog is applied, and no partition lags: no worker is needed
        // (the paused partition's 10 events ask for none).
        _ = try await lock.execute("ROLLBACK")
        let drained = await TestEnvironment.eventually(timeout: .seconds(40), every: .milliseconds(500)) {
            body = (await HTTPProbe.tryGet(worker.baseURL + "/metrics"))?.body ?? ""
            return Self.metric("orderstream_desired_workers", group, in: body) == 0
        }
        #expect(
            drained,
            "\(body.split(separator: "\n").filter { $0.contains("lag") || $0.contains("desired") })\n\(worker.runner.output.suffix(4_000))"
        )
        #expect(Self.metric("orderstream_partition_lag", #"topic="orders",partition="0""#, in: body) == 0)
        #expect(Self.metric("orderstream_partition_lag_seconds", #"topic="orders",partition="0""#, in: body) == 0)
    }

    /// A labelled gauge's value in a `/metrics` body (nil when absent).
    static func metric(_ name: String, _ labels: String, in body: String) -> Double? {
        let prefix = "\(name){\(labels)} "
        return body.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count)) }
    }

    static func double(_ value: JSONValue?) -> Double? {
        switch value {
        case .integer(let i): Double(i)
        case .number(let text): Double(text)
        default: nil
        }
    }
}
