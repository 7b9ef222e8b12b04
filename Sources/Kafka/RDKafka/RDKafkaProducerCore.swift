import CRdKafka
import Foundation
import Logging
import OrderStreamCommon
import Synchronization

/// Everything the producer's poll thread needs, kept apart from `KafkaProducer` so the
/// thread never keeps the public object alive (its deinit must be able to run and close).
final class RDKafkaProducerCore: Sendable {
    typealias Completion = @Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void

    private struct State {
        var closing = false
        /// Send/flush calls currently inside librdkafka; close waits for zero before destroy.
        var activeCalls = 0
        var nextId = 1
        /// In-flight messages by the id stored in their opaque. Every entry is removed
        /// exactly once: by its delivery report, by a failed enqueue, or at close.
        var pending: [Int: Completion] = [:]
        /// Delivery-report batches handled so far: a sender waiting for room in a full queue
        /// waits for this to move (only a delivery report, or a purge, empties the queue).
        var deliveredBatches = 0
    }

    let handle: RDKafkaHandle
    private let mainQueue: RDKafkaHandle
    private let state = LockedValue(State())
    private let stopPolling = Atomic<Bool>(false)
    private let poller = LockedValue<DedicatedThread?>(nil)
    private let pollerThread = LockedValue<pthread_t?>(nil)
    let logger: Logger
    private let onError: (@Sendable (KafkaError) -> Void)?
    private let clientName: String

    init(rk: OpaquePointer, logger: Logger, onError: (@Sendable (KafkaError) -> Void)?) {
        self.handle = RDKafkaHandle(pointer: rk)
        self.mainQueue = RDKafkaHandle(pointer: rd_kafka_queue_get_main(rk))
        self.logger = logger
        self.onError = onError
        self.clientName = String(cString: rd_kafka_name(rk))
    }

    // MARK: poll thread

    func startPoller() {
        let thread = DedicatedThread(name: "kafka-producer-poll") { [self] in
            self.pollerThread.withLock { $0 = pthread_self() }
            self.pollLoop()
        }
        poller.withLock { $0 = thread }
    }

    var isPollerThread: Bool {
        guard let poller = pollerThread.withLock({ $0 }) else { return false }
        return pthread_equal(poller, pthread_self()) != 0
    }

    private func pollLoop() {
        while !stopPolling.load(ordering: .acquiring) {
            guard let event = rd_kafka_queue_poll(mainQueue.pointer, 100) else { continue }
            handle(event: event)
            rd_kafka_event_destroy(event)
        }
    }

    private func handle(event: OpaquePointer) {
        switch rd_kafka_event_type(event) {
        case RD_KAFKA_EVENT_DR:
            deliver(event)
        case RD_KAFKA_EVENT_LOG:
            var facility: UnsafePointer<CChar>?
            var message: UnsafePointer<CChar>?
            var level: Int32 = 0
            if rd_kafka_event_log(event, &facility, &message, &level) == 0 {
                RDKafkaLogging.log(logger, level: level, facility: facility, message: message, client: clientName)
            }
        case RD_KAFKA_EVENT_ERROR:
            let fatal = rd_kafka_event_error_is_fatal(event) != 0
            let message = rd_kafka_event_error_string(event).map { String(cString: $0) }
            let error = KafkaError.from(
                rd_kafka_event_error(event), message: message, operation: "producer", fatal: fatal)
            logger.log(level: fatal ? .critical : .error, "\(error.description)")
            onError?(error)
        default:
            logger.debug(
                "ignored Kafka event", metadata: [KafkaLogKey.event: "\(String(cString: rd_kafka_event_name(event)))"])
        }
    }

    /// One DR event carries a batch of reports: look them all up under one lock
    /// acquisition, then run the completions outside it.
    private func deliver(_ event: OpaquePointer) {
        var reports: [(id: Int, result: Result<KafkaDeliveryReport, KafkaError>)] = []
        reports.reserveCapacity(Int(rd_kafka_event_message_count(event)))
        var topicNames: [OpaquePointer: String] = [:]
        while let message = rd_kafka_event_message_next(event) {
            let m = message.pointee
            let id = Int(bitPattern: m._private)
            if m.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                let topic: String
                if let rkt = m.rkt {
                    if let cached = topicNames[rkt] {
                        topic = cached
                    } else {
                        topic = String(cString: rd_kafka_topic_name(rkt))
                        topicNames[rkt] = topic
                    }
                } else {
                    topic = ""
                }
                reports.append(
                    (id, .success(KafkaDeliveryReport(topic: topic, partition: m.partition, offset: m.offset))))
            } else {
                // Not rd_kafka_message_errstr: for a delivery report it returns the message's own
                // payload as the "error string" (the event's bytes in every error line and log).
                let text = String(cString: rd_kafka_err2str(m.err))
                reports.append((id, .failure(.delivery(code: KafkaErrorCode(m.err), message: text))))
            }
        }
        let completions: [(Completion?, Result<KafkaDeliveryReport, KafkaError>, Int)] = state.withLockNotifying {
            state in
            state.deliveredBatches &+= 1
            return reports.map { (state.pending.removeValue(forKey: $0.id), $0.result, $0.id) }
        }
        for (completion, result, id) in completions {
            if let completion {
                completion(result)
            } else {
                // A report without a registered send (e.g. an opaque we did not set): never crash.
                logger.warning(
                    "Kafka delivery report for unknown message id", metadata: [KafkaLogKey.messageId: "\(id)"])
            }
        }
    }

    // MARK: sending

    /// Registers a completion and marks a call as active. Throws if closing.
    func register(_ completion: @escaping Completion) throws(KafkaError) -> Int {
        try state.withLock { (state) throws(KafkaError) -> Int in
            guard !state.closing else { throw .closed }
            let id = state.nextId
            state.nextId &+= 1
            state.pending[id] = completion
            state.activeCalls += 1
            return id
        }
    }

    /// Ends an active call; on failure removes the registration (its completion is not called).
    func finish(id: Int, enqueued: Bool) {
        state.withLockNotifying { state in
            state.activeCalls -= 1
            if !enqueued { state.pending.removeValue(forKey: id) }
        }
    }

    var isClosing: Bool { state.withLock { $0.closing } }

    /// A marker of the delivery reports handled so far, for `waitForDeliveries(after:until:)`.
    var deliveryMark: Int { state.withLock { $0.deliveredBatches } }

    /// Blocks until a delivery report batch after `mark` was handled (room may have been made
    /// in librdkafka's queue), the producer starts closing, or `deadline`.
    func waitForDeliveries(after mark: Int, until deadline: ContinuousClock.Instant) {
        state.wait(until: deadline) { $0.deliveredBatches != mark || $0.closing }
    }

    /// One `producev` attempt; the message is copied by librdkafka.
    func enqueue(_ message: KafkaOutgoingMessage, id: Int) -> rd_kafka_resp_err_t {
        let rk = handle.pointer
        var headers: OpaquePointer?
        if !message.headers.isEmpty {
            headers = rd_kafka_headers_new(message.headers.count)
            for header in message.headers {
                if let value = header.value {
                    value.withUnsafeBytes { bytes in
                        _ = rd_kafka_header_add(headers, header.key, -1, bytes.baseAddress, bytes.count)
                    }
                } else {
                    _ = rd_kafka_header_add(headers, header.key, -1, nil, 0)
                }
            }
        }
        let opaque = UnsafeMutableRawPointer(bitPattern: id)
        let partition = message.partition ?? -1  // RD_KAFKA_PARTITION_UA: let the partitioner choose
        let err = message.value.withUnsafeBytes { value in
            if let key = message.key {
                return key.withUnsafeBytes { key in
                    crdkafka_produce(
                        rk, message.topic, partition, key.baseAddress, key.count, value.baseAddress, value.count,
                        headers, opaque)
                }
            }
            return crdkafka_produce(
                rk, message.topic, partition, nil, 0, value.baseAddress, value.count, headers, opaque)
        }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR, let headers {
            // producev takes the headers only when it succeeds.
            rd_kafka_headers_destroy(headers)
        }
        return err
    }

    /// Runs a blocking call while keeping the handle alive; throws if closing.
    func withActiveCall<T>(_ body: (OpaquePointer) throws(KafkaError) -> T) throws(KafkaError) -> T {
        try state.withLock { (state) throws(KafkaError) in
            guard !state.closing else { throw .closed }
            state.activeCalls += 1
        }
        defer { state.withLockNotifying { $0.activeCalls -= 1 } }
        return try body(handle.pointer)
    }

    // MARK: shutdown

    /// Flushes for up to `timeout`, fails whatever is left, stops the poll thread and
    /// destroys the handle. Idempotent. Must not run on the poll thread.
    func close(timeout: Duration) {
        let first = state.withLockNotifying { state -> Bool in
            defer { state.closing = true }
            return !state.closing
        }
        guard first else { return }
        state.wait { $0.activeCalls == 0 }
        let rk = handle.pointer
        if rd_kafka_flush(rk, timeout.clampedMilliseconds) != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning(
                "Kafka producer closing with undelivered messages",
                metadata: [KafkaLogKey.outputQueueLength: "\(rd_kafka_outq_len(rk))"])
            // Purged messages come back as delivery reports with _PURGE_* errors, which
            // the poll thread hands to their completions.
            _ = rd_kafka_purge(rk, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
            _ = rd_kafka_flush(rk, 1000)
        }
        stopPolling.store(true, ordering: .releasing)
        poller.withLock { $0 }?.join()
        let leftovers = state.withLock { state -> [Completion] in
            defer { state.pending.removeAll() }
            return Array(state.pending.values)
        }
        for completion in leftovers {
            completion(
                .failure(.delivery(code: .purgeQueue, message: "producer closed before the message was delivered")))
        }
        rd_kafka_queue_destroy(mainQueue.pointer)
        rd_kafka_destroy(rk)
    }
}
