import Foundation
import Kafka
import Logging
import OrderStreamCommon
import OrderStreamDomain
import PostgreSQL

/// The running parts of one worker and the order they start and stop in. Built and torn down on
/// dedicated threads (every call here blocks).
final class WorkerRuntime: Sendable {
    private let settings: WorkerSettings
    private let table: PartitionTable
    private let consumer: KafkaConsumer
    private let producer: KafkaProducer
    private let lanes: [ApplyLane]
    private let loop: ConsumerLoop
    private let watcher: ControlWatcher
    private let control: PGConnection
    private let threads: [DedicatedThread]
    private let loopThread: DedicatedThread
    private let watcherThread: DedicatedThread
    private let metrics: WorkerMetrics
    private let state: WorkerState
    private let logger: Logger

    private init(
        settings: WorkerSettings, table: PartitionTable, consumer: KafkaConsumer, producer: KafkaProducer,
        lanes: [ApplyLane], loop: ConsumerLoop, watcher: ControlWatcher, control: PGConnection,
        threads: [DedicatedThread], loopThread: DedicatedThread, watcherThread: DedicatedThread,
        metrics: WorkerMetrics, state: WorkerState, logger: Logger
    ) {
        self.settings = settings
        self.table = table
        self.consumer = consumer
        self.producer = producer
        self.lanes = lanes
        self.loop = loop
        self.watcher = watcher
        self.control = control
        self.threads = threads
        self.loopThread = loopThread
        self.watcherThread = watcherThread
        self.metrics = metrics
        self.state = state
        self.logger = logger
    }

    /// Connects, registers, joins the group and starts every thread.
    static func start(
        settings: WorkerSettings, metrics: WorkerMetrics, state: WorkerState, logger: Logger
    ) throws -> WorkerRuntime {
        let database = try PGConnectionConfiguration(settings.databaseURL).withApplicationName(settings.applicationName)
        let control = try PGConnection.connect(database, logger: logger)
        state.update { $0.databaseUp = true }
        // Prepared statements, advisory locks and LISTEN/NOTIFY need a session of our own.
        try SessionPinningCheck.verify(database, logger: logger)
        // The schema first: safe from several processes at once, refuses a changed migration.
        _ = try SchemaMigrations.applyUnlessLiveWorkersBlock(on: control)
        let controlRow = try PositionStore.ensureControl(group: settings.group, on: control)
        _ = try control.execute(
            """
            INSERT INTO workers (instance_id, consumer_group, color, application_name, http_port, state, release, known_migration)
            VALUES ($1, $2, $3, $4, $5, 'starting', $6, $7)
            ON CONFLICT (instance_id) DO UPDATE SET consumer_group = $2, color = $3, application_name = $4,
                http_port = $5, started_at = now(), heartbeat_at = now(), state = 'starting', release = $6,
                known_migration = $7
            """,
            [
                settings.instanceId, settings.group, settings.color.rawValue, settings.applicationName,
                settings.httpPort,
                settings.release, SchemaMigrations.knownUpTo,
            ])
        state.update {
            $0.active = controlRow.activeColor == settings.color
            $0.fencedAtEpoch = nil
        }

        // Only "all brokers down" makes the worker not ready; librdkafka rides out the rest
        // (a broker that answers watermark queries again makes it ready, see ControlWatcher).
        let onKafkaError: @Sendable (KafkaError) -> Void = { error in
            guard error.code == .allBrokersDown else { return }
            state.update {
                $0.kafkaUp = false
                $0.lastKafkaError = "\(error)"
            }
        }
        let producer = try KafkaProducer(
            configuration: settings.producerConfiguration, logger: logger, onError: onKafkaError)
        // Look the dead-letter topics up now, not when the first rejection waits for its ack.
        do {
            try producer.prepare(topics: Topic.allCases.map(\.deadLetterTopic), timeout: .seconds(5))
        } catch {
            logger.warning("dead-letter topics not found yet", metadata: [WorkerLogKey.error: "\(error)"])
        }
        let deadLetters = DeadLetterPublisher(producer: producer)

        let table = PartitionTable(laneCount: settings.applyConnections)
        var lanes: [ApplyLane] = []
        for index in 0..<table.laneCount {
            let connection = try PGConnection.connect(database, logger: logger)
            lanes.append(
                ApplyLane(
                    index: index, settings: settings, table: table, deadLetters: deadLetters,
                    connection: connection, metrics: metrics, state: state, logger: logger))
        }

        let coordinator = RebalanceCoordinator(
            settings: settings, table: table, control: control, lanes: lanes,
            metrics: metrics, state: state, logger: logger)
        let consumer = try KafkaConsumer(
            configuration: settings.consumerConfiguration, rebalanceHandler: coordinator,
            logger: logger, onError: onKafkaError)
        try consumer.subscribe(topics: WorkerSettings.topics.map(\.rawValue))

        let watcherConnection = try PGConnection.connect(database, logger: logger)
        let watcher = ControlWatcher(
            settings: settings, table: table, connection: watcherConnection, consumer: consumer,
            metrics: metrics, state: state, logger: logger)
        let loop = ConsumerLoop(consumer: consumer, table: table, settings: settings, state: state, logger: logger)

        let threads = lanes.map { lane in DedicatedThread(name: "orderstream-lane-\(lane.index)") { lane.run() } }
        let loopThread = DedicatedThread(name: "orderstream-poll") { loop.run() }
        let watcherThread = DedicatedThread(name: "orderstream-control") { watcher.run(initial: controlRow) }
        state.update { $0.phase = .running }
        return WorkerRuntime(
            settings: settings, table: table, consumer: consumer, producer: producer, lanes: lanes,
            loop: loop, watcher: watcher, control: control, threads: threads, loopThread: loopThread,
            watcherThread: watcherThread, metrics: metrics, state: state, logger: logger)
    }

    /// The drain: not ready at once, stop fetching, finish in-flight batches (or roll them back
    /// at the deadline), flush dead letters, leave the group, deregister.
    func drain(deadline: Duration) {
        let started = Date()
        let until = started.addingTimeInterval(deadline.seconds)
        state.update { $0.phase = .draining }
        metrics.drains.increment()
        logger.notice("draining", metadata: [WorkerLogKey.deadlineSeconds: "\(deadline.seconds)"])

        loop.requestStop()
        loopThread.join()
        table.stop(deadline: until)
        if !table.waitIdle(until: until) {
            metrics.drainOverruns.increment()
            logger.warning("drain deadline reached: rolling back in-flight batches")
            for lane in lanes { lane.cancel() }
        }
        for thread in threads { thread.join(until: .now + .seconds(5)) }

        // Already on a blocking thread (Worker.run hands the drain to `Blocking`): flush here.
        let flushBudget = max(1, until.timeIntervalSinceNow)
        do {
            try producer.flushBlocking(timeout: .milliseconds(Int64(flushBudget * 1000)))
        } catch {
            logger.warning("dead-letter producer flush incomplete", metadata: [WorkerLogKey.error: "\(error)"])
        }

        // Leave the group (the revoke callback runs here, with nothing in flight). With every
        // broker unreachable librdkafka can wait for the coordinator indefinitely, so the wait is
        // bounded: nothing is lost by exiting without a LeaveGroup, the partitions only move
        // after the session timeout instead of at once.
        let consumer = self.consumer
        let producer = self.producer
        let closing = DedicatedThread(name: "orderstream-close") {
            consumer.close()
            producer.close()
        }
        if !closing.join(until: .now + .seconds(max(2, until.timeIntervalSinceNow))) {
            logger.warning(
                "leaving the consumer group did not finish in time (brokers unreachable?); exiting without it")
        }
        watcher.requestStop()
        watcherThread.join(until: .now + .seconds(3))
        _ = try? control.execute("DELETE FROM workers WHERE instance_id = $1", [settings.instanceId])
        control.close()
        state.update { $0.phase = .stopped }
        logger.notice(
            "drained", metadata: [WorkerLogKey.seconds: "\(String(format: "%.3f", Date().timeIntervalSince(started)))"])
    }
}
