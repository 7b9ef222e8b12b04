import Foundation
import Kafka
import Logging
import OrderStreamCommon
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
        logger[metadataKey: WorkerLogKey.color] = "\(settings.color.rawValue)"
        logger[metadataKey: WorkerLogKey.instance] = "\(settings.instanceId)"
        self.logger = logger
    }

    public func run() async throws {
        // PostgreSQL or Kafka may not be up yet: keep trying (not ready meanwhile) until they are,
        // or until the process is asked to stop.
        var runtime: WorkerRuntime?
        var retry = RetryBackoff.constant(.seconds(2))
        while runtime == nil {
            do {
                runtime = try await Blocking.run { [self] in
                    try WorkerRuntime.start(settings: settings, metrics: metrics, state: state, logger: logger)
                }
            } catch {
                if Self.refusesToStart(error) {
                    logger.critical("refusing to start", metadata: [WorkerLogKey.error: "\(error)"])
                    throw error
                }
                logger.error("cannot start yet; retrying in 2 s", metadata: [WorkerLogKey.error: "\(error)"])
                await retry.sleepAsync()
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
            }
        }
        guard let runtime else { return }
        logger.info("worker running", metadata: [WorkerLogKey.group: "\(settings.kafkaGroupId)"])
        // Runs until SIGTERM/SIGINT (graceful shutdown) or cancellation.
        try? await gracefulShutdown()
        metrics.ready.set(to: 0)
        await Blocking.run { [self] in
            runtime.drain(deadline: settings.drainDeadline)
        }
    }

    /// Errors that retrying cannot fix: bad configuration, or a migration that changed or that
    /// this binary does not know. Anything else (PostgreSQL or Kafka not reachable yet) is retried.
    static func refusesToStart(_ error: any Error) -> Bool {
        switch error {
        case let error as KafkaError:
            if case .invalidConfiguration = error { return true }
            return false
        case let error as MigrationError:
            if case .database(let cause) = error { return !cause.isTransient }
            return true
        case let error as PGError:
            return !error.isTransient
        default:
            return false
        }
    }
}
