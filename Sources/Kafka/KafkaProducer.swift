import CRdKafka
import Foundation
import Logging
import OrderStreamCommon

/// An idempotent Kafka producer built for high volume: one dedicated thread polls
/// librdkafka's event queue for delivery reports, logs and errors; sends from any
/// thread enqueue without blocking (except briefly when the local queue is full).
///
/// Delivery guarantee: a `send` either throws (and its completion is never called) or
/// returns, and then its completion is called exactly once, with the broker's report
/// or a typed error, also when the producer closes with messages still in flight.
public final class KafkaProducer: Sendable {
    public typealias Completion = @Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void

    private let core: RDKafkaProducerCore
    private let queueFullTimeout: Duration
    private let closeTimeout: Duration

    /// - Parameters:
    ///   - configuration: librdkafka properties. Default added unless set:
    ///     `enable.idempotence=true`.
    ///   - queueFullTimeout: how long a send waits and retries while librdkafka's local
    ///     queue is full (`queue.buffering.max.messages`) before throwing `.queueFull`.
    ///   - closeTimeout: how long `close()` flushes before failing what is left.
    ///   - onError: client-level errors (broker down, fatal idempotence errors), on the
    ///     poll thread. Also logged.
    public init(
        configuration: KafkaConfiguration,
        queueFullTimeout: Duration = .seconds(10),
        closeTimeout: Duration = .seconds(5),
        logger: Logger,
        onError: (@Sendable (KafkaError) -> Void)? = nil
    ) throws(KafkaError) {
        var configuration = configuration
        configuration.setDefault("enable.idempotence", "true")
        // Logs travel as LOG events on the main queue, which our poll thread serves.
        configuration.setDefault("log.queue", "true")
        let conf = try RDKafkaConfig.make(configuration)
        rd_kafka_conf_set_events(conf, Int32(RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_LOG | RD_KAFKA_EVENT_ERROR))
        let rk = try RDKafkaConfig.newClient(RD_KAFKA_PRODUCER, conf: conf)
        _ = rd_kafka_set_log_queue(rk, nil)  // nil = forward logs to the main queue
        self.core = RDKafkaProducerCore(rk: rk, logger: logger, onError: onError)
        self.queueFullTimeout = queueFullTimeout
        self.closeTimeout = closeTimeout
        core.startPoller()
    }

    /// A producer dropped without `close()` is closed in the background (`Blocking.detach`):
    /// never on whichever thread dropped the last reference, since closing flushes for up to
    /// `closeTimeout`. Close it explicitly where delivery matters (every caller here does).
    deinit {
        let core = self.core
        let timeout = closeTimeout
        Blocking.detach { core.close(timeout: timeout) }
    }

    /// Enqueues `message`; `completion` runs on the producer's poll thread once the
    /// broker acknowledged it or it failed for good, so keep it short.
    /// While the local queue is full this call blocks the calling thread (waiting for the poll
    /// thread to hand out delivery reports, at most `queueFullTimeout`): call it from a
    /// publishing thread, not from Swift's cooperative pool (use `send(_:) async` there).
    public func send(_ message: KafkaOutgoingMessage, completion: @escaping Completion) throws(KafkaError) {
        let id = try core.register(completion)
        let deadline = ContinuousClock.now + queueFullTimeout
        while true {
            let mark = core.deliveryMark
            let err = core.enqueue(message, id: id)
            if err == RD_KAFKA_RESP_ERR_NO_ERROR {
                core.finish(id: id, enqueued: true)
                return
            }
            if err == RD_KAFKA_RESP_ERR__QUEUE_FULL, ContinuousClock.now < deadline, !core.isClosing {
                // At most 100 ms per wait: librdkafka may free room without a report of ours
                // (its own requests), and the next attempt costs nothing.
                core.waitForDeliveries(after: mark, until: min(deadline, .now + .milliseconds(100)))
                continue
            }
            core.finish(id: id, enqueued: false)
            throw KafkaError.from(err, operation: "produce")
        }
    }

    /// Sends `message` and waits for its delivery report. While the local queue is
    /// full it retries with `Task.sleep` (never blocking a cooperative thread), for at
    /// most `queueFullTimeout`. Cancelling the task does not recall an enqueued message.
    public func send(_ message: KafkaOutgoingMessage) async throws(KafkaError) -> KafkaDeliveryReport {
        let deadline = ContinuousClock.now + queueFullTimeout
        while true {
            let result: Result<Result<KafkaDeliveryReport, KafkaError>, KafkaError> = await withCheckedContinuation {
                continuation in
                do throws(KafkaError) {
                    let id = try core.register { continuation.resume(returning: .success($0)) }
                    let err = core.enqueue(message, id: id)
                    core.finish(id: id, enqueued: err == RD_KAFKA_RESP_ERR_NO_ERROR)
                    if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                        continuation.resume(returning: .failure(KafkaError.from(err, operation: "produce")))
                    }
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
            switch result {
            case .success(let delivery):
                return try delivery.get()
            case .failure(.queueFull) where ContinuousClock.now < deadline && !core.isClosing:
                try? await Task.sleep(for: .milliseconds(2))
            case .failure(let error):
                throw error
            }
        }
    }

    /// Waits until every enqueued message is delivered or failed (`rd_kafka_flush`, through
    /// `Blocking`, off the cooperative pool). Throws `.timedOut` if messages remain.
    public func flush(timeout: Duration) async throws(KafkaError) {
        try await Blocking.run { () throws(KafkaError) in try self.flushBlocking(timeout: timeout) }
    }

    /// `flush(timeout:)` for a caller already on a blocking thread (a drain). Blocks.
    public func flushBlocking(timeout: Duration) throws(KafkaError) {
        try core.withActiveCall { (rk) throws(KafkaError) in
            let err = rd_kafka_flush(rk, timeout.clampedMilliseconds)
            let remaining = rd_kafka_outq_len(rk)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR || remaining > 0 {
                throw .timedOut(operation: "flush (\(remaining) messages remain)")
            }
        }
    }

    /// Fetches the metadata (partitions, leaders) of `topics` now, so that the first message
    /// to each is not held back while the producer looks the topic up (measured here: about a
    /// second for a topic's first message). Blocking: call it off the cooperative pool.
    public func prepare(topics: [String], timeout: Duration) throws(KafkaError) {
        try core.withActiveCall { (rk) throws(KafkaError) in
            for topic in topics {
                guard let rkt = rd_kafka_topic_new(rk, topic, nil) else {
                    throw .kafka(
                        code: KafkaErrorCode(rawValue: -1), message: "cannot create a handle for topic \(topic)",
                        fatal: false)
                }
                defer { rd_kafka_topic_destroy(rkt) }
                var metadata: UnsafePointer<rd_kafka_metadata>?
                let err = rd_kafka_metadata(rk, 0, rkt, &metadata, timeout.clampedMilliseconds)
                if let metadata { rd_kafka_metadata_destroy(metadata) }
                if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.from(err, operation: "metadata of \(topic)") }
            }
        }
    }

    /// Messages and requests not yet acknowledged (`rd_kafka_outq_len`).
    public var outstandingCount: Int {
        (try? core.withActiveCall { Int(rd_kafka_outq_len($0)) }) ?? 0
    }

    /// Flushes for up to `closeTimeout`, fails every undelivered message's completion
    /// with `.delivery(_PURGE_*)`, stops the poll thread and destroys the client.
    /// Blocking; idempotent; later sends throw `.closed`.
    public func close() {
        let core = self.core
        let timeout = closeTimeout
        if core.isPollerThread {
            // Closing inside a completion: the poll thread cannot wait for itself, so the
            // close finishes in the background.
            Blocking.detach { core.close(timeout: timeout) }
        } else {
            core.close(timeout: timeout)
        }
    }
}
