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
        // PostgreSQL or Kafka may not be up yet: keep trying (not ready meanwhile) until they are,
        // or until the process is asked to stop.
        var runtime: WorkerRuntime?
        while runtime == nil {
            do {
                runtime = try await DedicatedThread.run(name: "orderstream-start") { [self] in
                    try WorkerRuntime.start(settings: settings, metrics: metrics, state: state, logger: logger)
                }
            } catch let error as KafkaError {
                if case .invalidConfiguration = error { throw error }
                logger.error("cannot start yet; retrying in 2 s", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(2))
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
            } catch let error as MigrationError {
                if case .database(let cause) = error, cause.isTransient {
                    logger.error("cannot migrate yet; retrying in 2 s", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .seconds(2))
                    if Task.isShuttingDownGracefully || Task.isCancelled { return }
                } else {
                    throw error  // a changed or unknown migration: refuse to start
                }
            } catch let error as PGError where !error.isTransient {
                throw error
            } catch {
                logger.error("cannot start yet; retrying in 2 s", metadata: ["error": "\(error)"])
                state.update { $0.databaseUp = false }
                try? await Task.sleep(for: .seconds(2))
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
            }
        }
        guard let runtime else { return }
        logger.info("worker running", metadata: ["group": "\(settings.kafkaGroupId)"])
        // Runs until SIGTERM/SIGINT (graceful shutdown) or cancellation.
        try? await gracefulShutdown()
        metrics.ready.set(to: 0)
        try await DedicatedThread.run(name: "orderstream-drain") { [self] in
            runtime.drain(deadline: settings.drainDeadline)
        }
    }
}
