import CRdKafka
import Foundation
import Logging
import OrderStreamCommon

/// A Kafka group consumer whose rebalances let the application finish or roll back a
/// partition's work before it is released, and choose start offsets before assignment.
///
/// Threading: `poll` (and `subscribe`, `close`) are meant for ONE dedicated polling
/// thread; rebalance handler calls happen there, inside `poll`/`close`. A second thread
/// entering `poll` concurrently gets `.concurrentPoll`. Everything else (`assignment`,
/// `pause`, `resume`, `storeOffsets`, `commit`, `committed`, `watermarks`) is
/// thread-safe; the blocking ones have `async` variants that run off the cooperative pool.
/// The synchronous methods block their caller: do not call them on the cooperative pool.
public final class KafkaConsumer: Sendable {
    private enum Phase { case open, closing, closed }

    private struct State {
        var phase = Phase.open
        var polling = false
        /// Calls currently inside librdkafka; the handle is destroyed only at zero.
        var activeCalls = 0
    }

    private let handle: RDKafkaHandle
    private let context: RDKafkaClientContext
    // Unmanaged: retained once in init (the conf opaque), released once in `close` (or in the
    // background close a deinit starts: the phase lets only the first caller through) after
    // rd_kafka_destroy, when no callback can run any more.
    private let unmanagedContext: Unmanaged<RDKafkaClientContext>
    private let state = LockedValue(State())  // not Mutex: see LockedValue (ThreadSanitizer)
    private let logger: Logger

    /// - Parameters:
    ///   - configuration: librdkafka properties; `group.id` and `bootstrap.servers` are
    ///     needed. Defaults added unless set: `enable.auto.commit=false`,
    ///     `enable.auto.offset.store=false`, `partition.assignment.strategy=cooperative-sticky`.
    ///   - rebalanceHandler: called on the polling thread before revoke/assign (see
    ///     `KafkaRebalanceHandler`); nil assigns at committed offsets.
    ///   - onError: client errors (e.g. all brokers down) and per-message consumer
    ///     errors (e.g. partition EOF); also logged.
    public init(
        configuration: KafkaConfiguration,
        rebalanceHandler: (any KafkaRebalanceHandler)? = nil,
        logger: Logger,
        onError: (@Sendable (KafkaError) -> Void)? = nil
    ) throws(KafkaError) {
        var configuration = configuration
        configuration.setDefault("enable.auto.commit", "false")
        configuration.setDefault("enable.auto.offset.store", "false")
        configuration.setDefault("partition.assignment.strategy", "cooperative-sticky")
        let conf = try RDKafkaConfig.make(configuration)
        let context = RDKafkaClientContext(logger: logger, onError: onError, rebalanceHandler: rebalanceHandler)
        let unmanaged = RDKafkaClientContext.install(on: conf, context: context, rebalance: true)
        let rk: OpaquePointer
        do {
            rk = try RDKafkaConfig.newClient(RD_KAFKA_CONSUMER, conf: conf)
        } catch {
            unmanaged.release()
            throw error
        }
        // Serve everything (rebalances, errors) from the consumer queue, i.e. from poll.
        _ = rd_kafka_poll_set_consumer(rk)
        self.handle = RDKafkaHandle(pointer: rk)
        self.context = context
        self.unmanagedContext = unmanaged
        self.logger = logger
    }

    /// A consumer dropped without `close()` is closed in the background (`Blocking.detach`):
    /// never on whichever thread dropped the last reference, since leaving the group blocks.
    /// Close it explicitly where the moment matters (every caller in this project does).
    deinit {
        Self.close(handle: handle, state: state, context: unmanagedContext, logger: logger, inBackground: true)
    }

    // MARK: polling thread

    /// Subscribes to `topics` (replacing any earlier subscription). Partitions arrive
    /// through `poll`, which runs the rebalance handler.
    public func subscribe(topics: [String]) throws(KafkaError) {
        try withHandle { (rk) throws(KafkaError) in
            let tps = topics.map { TopicPartition(topic: $0, partition: -1) }  // -1: RD_KAFKA_PARTITION_UA
            let err = RDKafkaTopicPartitionList.with(tps) { rd_kafka_subscribe(rk, $0) }
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.from(err, operation: "subscribe") }
        }
    }

    /// Waits up to `timeout` for the first message, then takes whatever else is ready
    /// without waiting, up to `maxMessages`. Runs rebalance callbacks and error
    /// callbacks. Per-message errors (partition EOF, offset out of range, ...) are not
    /// returned: they go to the logger and `onError`. Call from one thread only.
    public func poll(maxMessages: Int = 1000, timeout: Duration) throws(KafkaError) -> [KafkaMessage] {
        try state.withLock { (state) throws(KafkaError) in
            guard state.phase == .open else { throw .closed }
            guard !state.polling else { throw .concurrentPoll }
            state.polling = true
            state.activeCalls += 1
        }
        defer {
            state.withLockNotifying { state in
                state.polling = false
                state.activeCalls -= 1
            }
        }
        let rk = handle.pointer
        var messages: [KafkaMessage] = []
        messages.reserveCapacity(min(maxMessages, 4096))
        var topicNames: [OpaquePointer: String] = [:]
        var wait = timeout.clampedMilliseconds
        while messages.count < maxMessages, let message = rd_kafka_consumer_poll(rk, wait) {
            wait = 0
            defer { rd_kafka_message_destroy(message) }
            var topic = ""
            if let rkt = message.pointee.rkt {
                if let cached = topicNames[rkt] {
                    topic = cached
                } else {
                    topic = String(cString: rd_kafka_topic_name(rkt))
                    topicNames[rkt] = topic
                }
            }
            let err = message.pointee.err
            if err == RD_KAFKA_RESP_ERR_NO_ERROR {
                messages.append(RDKafkaMessage.copy(message, topic: topic))
            } else {
                reportMessageError(message, topic: topic)
            }
        }
        return messages
    }

    private func reportMessageError(_ message: UnsafeMutablePointer<rd_kafka_message_t>, topic: String) {
        let m = message.pointee
        if m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF {
            let error = KafkaError.partitionEOF(topic: topic, partition: m.partition, offset: m.offset)
            logger.debug("\(error.description)")
            context.onError?(error)
        } else {
            let text = String(cString: rd_kafka_message_errstr(message))
            let place = topic.isEmpty ? "consume" : "consume \(topic)[\(m.partition)]"
            context.reportError(KafkaError.from(m.err, message: text, operation: place), level: .warning)
        }
    }

    /// Reads `offsets` directly, outside any group: no subscription, no rebalance, and nothing
    /// is committed unless the caller commits. For tools that read a topic from a fixed place
    /// (the dead-letter inbox). Replaces an earlier assignment; call from the polling thread.
    public func assign(_ offsets: [TopicPartitionOffset]) throws(KafkaError) {
        try withHandle { (rk) throws(KafkaError) in
            try RDKafkaTopicPartitionList.with(offsets) { (list) throws(KafkaError) in
                let err = rd_kafka_assign(rk, list)
                if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.from(err, operation: "assign") }
            }
        }
    }

    // MARK: thread-safe

    /// The partitions currently assigned to this consumer.
    public func assignment() throws(KafkaError) -> [TopicPartition] {
        try withHandle { (rk) throws(KafkaError) in
            var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
            let err = rd_kafka_assignment(rk, &list)
            defer { if let list { rd_kafka_topic_partition_list_destroy(list) } }
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.from(err, operation: "assignment") }
            return list.map(RDKafkaTopicPartitionList.partitions) ?? []
        }
    }

    /// Stops fetching `partitions` (already fetched messages may still be returned by
    /// the next poll); they stay assigned.
    public func pause(_ partitions: [TopicPartition]) throws(KafkaError) {
        try partitionOperation(partitions, name: "pause") { rd_kafka_pause_partitions($0, $1) }
    }

    /// Resumes fetching paused `partitions` from where they stopped.
    public func resume(_ partitions: [TopicPartition]) throws(KafkaError) {
        try partitionOperation(partitions, name: "resume") { rd_kafka_resume_partitions($0, $1) }
    }

    /// Moves the fetch position of assigned `offsets` partitions (paused ones too), so that the
    /// next message of each is the one at its offset. Blocks up to `timeout` for the seeks to be
    /// acknowledged; thread-safe.
    public func seek(_ offsets: [TopicPartitionOffset], timeout: Duration) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        try withHandle { (rk) throws(KafkaError) in
            try RDKafkaTopicPartitionList.with(offsets) { (list) throws(KafkaError) in
                if let error = rd_kafka_seek_partitions(rk, list, timeout.clampedMilliseconds) {
                    throw KafkaError.consuming(error, operation: "seek")
                }
                if let error = RDKafkaTopicPartitionList.firstError(list, operation: "seek") { throw error }
            }
        }
    }

    /// Stores offsets (next offset to read) for the next `commit` with no explicit list.
    /// The partitions must be assigned. librdkafka 2.0.2 commits a stored offset only
    /// if it is greater than the one already committed; to move a commit backwards,
    /// commit the offset explicitly.
    public func storeOffsets(_ offsets: [TopicPartitionOffset]) throws(KafkaError) {
        try withHandle { (rk) throws(KafkaError) in
            try RDKafkaTopicPartitionList.with(offsets) { (list) throws(KafkaError) in
                let err = rd_kafka_offsets_store(rk, list)
                if let error = RDKafkaTopicPartitionList.firstError(list, operation: "offsets_store") { throw error }
                if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.from(err, operation: "offsets_store") }
            }
        }
    }

    /// Commits `offsets` (next offset to read), or the stored offsets when empty.
    /// `async: false` blocks until the group coordinator answered: prefer
    /// `commit(offsets:) async` from Swift concurrency.
    public func commit(offsets: [TopicPartitionOffset], async: Bool) throws(KafkaError) {
        try withHandle { (rk) throws(KafkaError) in
            let err: rd_kafka_resp_err_t
            if offsets.isEmpty {
                err = rd_kafka_commit(rk, nil, async ? 1 : 0)
            } else {
                err = try RDKafkaTopicPartitionList.with(offsets) { (list) throws(KafkaError) in
                    let err = rd_kafka_commit(rk, list, async ? 1 : 0)
                    if !async, err == RD_KAFKA_RESP_ERR_NO_ERROR,
                        let error = RDKafkaTopicPartitionList.firstError(list, operation: "commit")
                    {
                        throw error
                    }
                    return err
                }
            }
            // _NO_OFFSET: nothing stored to commit; not a failure.
            if err != RD_KAFKA_RESP_ERR_NO_ERROR, err != RD_KAFKA_RESP_ERR__NO_OFFSET {
                throw KafkaError.from(err, operation: "commit")
            }
        }
    }

    /// Synchronous commit run off the cooperative pool.
    public func commit(offsets: [TopicPartitionOffset]) async throws(KafkaError) {
        try await Blocking.run { () throws(KafkaError) in try self.commit(offsets: offsets, async: false) }
    }

    /// The group's committed offsets (next offset to read; `KafkaOffset.invalid` when
    /// none). Blocking, up to `timeout`.
    public func committed(
        _ partitions: [TopicPartition], timeout: Duration
    ) throws(KafkaError) -> [TopicPartitionOffset] {
        try withHandle { (rk) throws(KafkaError) in
            try RDKafkaTopicPartitionList.with(partitions) { (list) throws(KafkaError) in
                let err = rd_kafka_committed(rk, list, timeout.clampedMilliseconds)
                if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.from(err, operation: "committed") }
                if let error = RDKafkaTopicPartitionList.firstError(list, operation: "committed") { throw error }
                return RDKafkaTopicPartitionList.offsets(list)
            }
        }
    }

    public func committed(
        _ partitions: [TopicPartition], timeout: Duration
    ) async throws(KafkaError) -> [TopicPartitionOffset] {
        try await Blocking.run { () throws(KafkaError) in try self.committed(partitions, timeout: timeout) }
    }

    /// Low and high watermarks from the partition leader. Blocking, up to `timeout`.
    public func watermarks(topic: String, partition: Int32, timeout: Duration) throws(KafkaError) -> KafkaWatermarks {
        try withHandle { (rk) throws(KafkaError) in
            var low: Int64 = 0
            var high: Int64 = 0
            let err = rd_kafka_query_watermark_offsets(rk, topic, partition, &low, &high, timeout.clampedMilliseconds)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError.from(err, operation: "watermarks \(topic)[\(partition)]")
            }
            return KafkaWatermarks(low: low, high: high)
        }
    }

    /// For each partition, the earliest offset whose message timestamp is at or after
    /// `timestamp` (milliseconds since 1970), or `KafkaOffset.end` (-1) when every message is
    /// older. Blocking, up to `timeout`. The partitions need not be assigned.
    public func offsetsForTimes(
        _ partitions: [TopicPartition], timestamp: Int64, timeout: Duration
    ) throws(KafkaError)
        -> [TopicPartitionOffset]
    {
        try withHandle { (rk) throws(KafkaError) in
            try RDKafkaTopicPartitionList.with(partitions, offset: timestamp) { (list) throws(KafkaError) in
                let err = rd_kafka_offsets_for_times(rk, list, timeout.clampedMilliseconds)
                if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.from(err, operation: "offsets_for_times") }
                if let error = RDKafkaTopicPartitionList.firstError(list, operation: "offsets_for_times") {
                    throw error
                }
                return RDKafkaTopicPartitionList.offsets(list)
            }
        }
    }

    public func watermarks(
        topic: String, partition: Int32, timeout: Duration
    ) async throws(KafkaError) -> KafkaWatermarks {
        try await Blocking.run { () throws(KafkaError) in
            try self.watermarks(topic: topic, partition: partition, timeout: timeout)
        }
    }

    /// How many partitions `topic` has, from the cluster's metadata; nil when the broker does
    /// not know the topic. Blocking, up to `timeout`.
    public func partitionCount(topic: String, timeout: Duration) throws(KafkaError) -> Int32? {
        try withHandle { (rk) throws(KafkaError) in
            guard let rkt = rd_kafka_topic_new(rk, topic, nil) else {
                throw .kafka(
                    code: KafkaErrorCode(rawValue: -1), message: "cannot create a handle for topic \(topic)",
                    fatal: false)
            }
            defer { rd_kafka_topic_destroy(rkt) }
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let err = rd_kafka_metadata(rk, 0, rkt, &metadata, timeout.clampedMilliseconds)
            defer { if let metadata { rd_kafka_metadata_destroy(metadata) } }
            if err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC || err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART { return nil }
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.from(err, operation: "metadata of \(topic)") }
            guard let metadata, metadata.pointee.topic_cnt > 0 else { return nil }
            let described = metadata.pointee.topics[0]
            if described.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART { return nil }
            if described.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError.from(described.err, operation: "metadata of \(topic)")
            }
            return described.partition_cnt
        }
    }

    // MARK: shutdown

    /// Leaves the group (`rd_kafka_consumer_close`: the handler sees the final revoke,
    /// on this thread) and destroys the client. Call it from the polling thread after
    /// the last poll (never from inside the rebalance handler). Blocking; idempotent.
    public func close() {
        Self.close(handle: handle, state: state, context: unmanagedContext, logger: logger, inBackground: false)
    }

    /// Closes the client (once, whoever asks first); with `inBackground`, on a `Blocking` thread.
    /// Static so that `deinit` can hand it what it needs without `self`.
    private static func close(
        handle: RDKafkaHandle, state: LockedValue<State>, context: Unmanaged<RDKafkaClientContext>, logger: Logger,
        inBackground: Bool
    ) {
        let first = state.withLock { state -> Bool in
            guard state.phase == .open else { return false }
            state.phase = .closing
            return true
        }
        guard first else { return }
        let finish: @Sendable () -> Void = {
            state.wait { $0.activeCalls == 0 }  // a poll in progress ends within its timeout
            let rk = handle.pointer
            let err = rd_kafka_consumer_close(rk)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                logger.warning("Kafka consumer close: \(KafkaErrorCode(err))")
            }
            state.withLock { $0.phase = .closed }
            state.wait { $0.activeCalls == 0 }
            rd_kafka_destroy(rk)
            context.release()
        }
        if inBackground { Blocking.detach(finish) } else { finish() }
    }

    // MARK: helpers

    /// Runs `body` with the handle, which stays alive until it returns. Allowed while
    /// closing so that the final revoke's handler can still query the consumer.
    private func withHandle<T>(_ body: (OpaquePointer) throws(KafkaError) -> T) throws(KafkaError) -> T {
        try state.withLock { (state) throws(KafkaError) in
            guard state.phase != .closed else { throw .closed }
            state.activeCalls += 1
        }
        defer { state.withLockNotifying { $0.activeCalls -= 1 } }
        return try body(handle.pointer)
    }

    private func partitionOperation(
        _ partitions: [TopicPartition], name: String,
        _ call: (OpaquePointer, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> rd_kafka_resp_err_t
    ) throws(KafkaError) {
        try withHandle { (rk) throws(KafkaError) in
            try RDKafkaTopicPartitionList.with(partitions) { (list) throws(KafkaError) in
                let err = call(rk, list)
                if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.from(err, operation: name) }
                if let error = RDKafkaTopicPartitionList.firstError(list, operation: name) { throw error }
            }
        }
    }
}
