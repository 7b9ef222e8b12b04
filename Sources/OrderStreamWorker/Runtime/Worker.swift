import Foundation
import Kafka
import Logging
import PostgreSQL
import ServiceLifecycle

/// The consumer service: joins the color's consumer group, applies `orders` and `payments`
/// exactly once to PostgreSQL, and on graceful shutdown drains (not ready at once, stop
/// fetching, finish or roll back in-flight batches by the deadline, flush dead letters, leave
/// the group) before `run` returns.
public final class Worker: Service, Sendable {
    public let settings: WorkerSettings
    public let state: WorkerState
    public let metrics: WorkerMetrics
    private let logger: Logger

    public init(settings: WorkerSettings, metrics: WorkerMetrics, state: WorkerState = WorkerState(), logger: Logger) {
        self.settings = settings
        self.metrics = metrics
        self.state = state
        var logger = logger
        logger[metadataKey: "color"] = "\(settings.color)"
        logger[metadataKey: "instance"] = "\(settings.instanceId)"
        self.logger = logger
    }

    public func run() async throws {
        let runtime = try await DedicatedThread.run(name: "orderstream-start") { [self] in
            try WorkerRuntime.start(settings: settings, metrics: metrics, state: state, logger: logger)
        }
        metrics.ready.set(to: 1)
        logger.info("worker running", metadata: ["group": "\(settings.kafkaGroupId)"])
        // Runs until SIGTERM/SIGINT (graceful shutdown) or cancellation.
        try? await gracefulShutdown()
        metrics.ready.set(to: 0)
        try await DedicatedThread.run(name: "orderstream-drain") { [self] in
            runtime.drain(deadline: settings.drainDeadline)
        }
    }
}
