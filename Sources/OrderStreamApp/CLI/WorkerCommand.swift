import ArgumentParser
import Foundation
import Hummingbird
import Logging
import OrderStreamWorker
import PostgreSQL
import ServiceLifecycle

/// `orderstream worker`: the consumer and its HTTP endpoints, until SIGTERM/SIGINT, then the
/// drain; exits 0 after a drain.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Consumes orders and payments and applies them exactly once to PostgreSQL.")

    @OptionGroup var options: GlobalOptions

    @Option(help: "Deployment color: blue or green (overrides ORDERSTREAM_COLOR).")
    var color: String?

    @Option(name: .customLong("instance-id"), help: "This worker's identity (default: <hostname>-<pid>).")
    var instanceId: String?

    @Option(name: .customLong("http-port"), help: "Port of the HTTP endpoints (overrides ORDERSTREAM_HTTP_PORT).")
    var httpPort: Int?

    @Option(name: .customLong("drain-deadline"), help: "Seconds a drain may take before in-flight work is rolled back.")
    var drainDeadline: Double?

    func run() async throws {
        var c = try options.configuration()
        if let color { c.color = try ConfigurationLoader.color(color, "--color") }
        if let instanceId { c.instanceId = try ConfigurationLoader.nonEmpty(instanceId, "--instance-id") }
        if let httpPort { c.httpPort = try ConfigurationLoader.port(String(httpPort), "--http-port") }
        if let drainDeadline {
            c.drainDeadlineSeconds = try ConfigurationLoader.positiveDouble(String(drainDeadline), "--drain-deadline")
        }
        let logger = ProcessLogging.logger(c, label: "orderstream.worker")
        let instance =
            c.instanceId ?? "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"

        var settings = WorkerSettings(
            kafkaProperties: c.kafkaClientProperties, databaseURL: c.databaseURL, group: c.group,
            color: c.color, instanceId: instance)
        settings.staticMembership = c.staticMembership
        settings.rebalanceProtocol = c.rebalanceProtocol
        settings.scaling = ScalingPolicy(
            maxWorkers: c.scalingMaxWorkers ?? 0, postgresMaxEventsPerSecond: c.scalingPostgresMaxEventsPerSecond ?? 0,
            drainTargetSeconds: c.scalingDrainTargetSeconds)
        settings.drainDeadline = .milliseconds(Int64(c.drainDeadlineSeconds * 1000))
        settings.revokeTimeout = min(settings.drainDeadline, .seconds(10))
        settings.batchSize = c.batchSize
        settings.applyConnections = c.applyConnections
        settings.httpPort = c.httpPort
        settings.release = BuildInfo.version
        if c.deadLetterEverything {
            settings.deadLetterEverything = true
            logger.critical(
                "ORDERSTREAM_FAULT_INJECTION=dead-letter-all: this worker dead-letters every event (a rehearsal, never production)"
            )
        }

        let metrics = WorkerMetrics(
            buildVersion: BuildInfo.version, buildRevision: BuildInfo.revision, color: c.color)
        let worker = Worker(settings: settings, metrics: metrics, logger: logger)
        let queries = try QueryService(
            databaseURL: c.databaseURL, applicationName: settings.applicationName + ":http", logger: logger)
        // An order's dead letters: a scan of the .dlq topics (small by nature), one at a time so
        // that a burst of requests cannot start many readers.
        let scans = DeadLetterScans(configuration: c, logger: logger)
        let router = HTTPRoutes.router(
            readModel: queries, readiness: { worker.state.readiness() }, metrics: metrics.registry,
            deadLetters: { id in try await scans.letters(ofOrder: id) })
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(c.httpHost, port: c.httpPort), serverName: "orderstream"),
            logger: logger)
        // The HTTP server is listed first so it shuts down last: /health/ready says 503 during
        // the whole drain.
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: app), .init(service: worker)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                cancellationSignals: [],
                logger: logger))
        try await group.run()
        // The HTTP server stopped last: no read can start any more.
        queries.close()
    }
}
