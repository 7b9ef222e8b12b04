import CRdKafka
import Logging
import OrderStreamCommon

/// librdkafka's in-process mock Kafka cluster, listening on real TCP ports on
/// 127.0.0.1: the embedded development broker and the test broker (no real Kafka can
/// run on these machines). Any client, including other processes such as kcat, can
/// connect to `bootstrapServers`. Limits of the mock (2.0.2): each partition keeps at
/// most 5 MiB or 100,000 message sets; first group join takes ~3 s.
public final class KafkaMockCluster: Sendable {
    /// `host:port,...` of the mock brokers.
    public let bootstrapServers: String
    /// Broker ids are 1...brokerCount.
    public let brokerCount: Int

    private let handle: RDKafkaHandle
    private let cluster: RDKafkaHandle
    // Unmanaged: retained once in init for the dummy client's log callback, released
    // once in `close` after rd_kafka_destroy (no callback runs after that).
    private let unmanagedContext: Unmanaged<RDKafkaClientContext>
    /// `true` once closed; held during every mock call so none races with destroy.
    private let closed = LockedValue(false)  // not Mutex: see LockedValue (ThreadSanitizer)

    public init(brokers: Int = 1, logger: Logger) throws(KafkaError) {
        // The mock cluster lives on a client handle; a producer that never produces.
        // log_level 4: its "no bootstrap.servers" notice is expected for this handle, warnings stay.
        let conf = try RDKafkaConfig.make(["client.id": "orderstream-mock-cluster", "log_level": "4"])
        let context = RDKafkaClientContext(logger: logger, onError: nil, rebalanceHandler: nil)
        let unmanaged = RDKafkaClientContext.install(on: conf, context: context, rebalance: false)
        let rk: OpaquePointer
        do {
            rk = try RDKafkaConfig.newClient(RD_KAFKA_PRODUCER, conf: conf)
        } catch {
            unmanaged.release()
            throw error
        }
        guard let mcluster = rd_kafka_mock_cluster_new(rk, Int32(clamping: brokers)) else {
            rd_kafka_destroy(rk)
            unmanaged.release()
            throw .clientCreation(message: "rd_kafka_mock_cluster_new failed")
        }
        self.handle = RDKafkaHandle(pointer: rk)
        self.cluster = RDKafkaHandle(pointer: mcluster)
        self.unmanagedContext = unmanaged
        self.brokerCount = brokers
        self.bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(mcluster))
    }

    /// Destroying the mock stops its broker threads (quick: nothing to flush or leave); tests
    /// and `orderstream broker` close it explicitly anyway.
    deinit {
        close()
    }

    /// Creates `name` (the mock has no CreateTopics API; this is its back door).
    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int32 = 1) throws(KafkaError) {
        try call("create topic \(name)") { rd_kafka_mock_topic_create($0, name, partitions, replicationFactor) }
    }

    /// Takes a broker down: its connections close and it refuses new ones.
    public func setBrokerDown(_ id: Int32) throws(KafkaError) {
        try call("broker \(id) down") { rd_kafka_mock_broker_set_down($0, id) }
    }

    public func setBrokerUp(_ id: Int32) throws(KafkaError) {
        try call("broker \(id) up") { rd_kafka_mock_broker_set_up($0, id) }
    }

    /// Makes the next requests of `apiKey` (e.g. 0 Produce, 1 Fetch, 8 OffsetCommit),
    /// from any client, fail with `errors` in order.
    public func pushRequestErrors(apiKey: Int16, errors: [KafkaErrorCode]) throws(KafkaError) {
        let codes = errors.map { rd_kafka_resp_err_t(rawValue: $0.rawValue) }
        try call("push request errors") { mcluster in
            codes.withUnsafeBufferPointer {
                rd_kafka_mock_push_request_errors_array(mcluster, apiKey, $0.count, $0.baseAddress)
            }
            return RD_KAFKA_RESP_ERR_NO_ERROR
        }
    }

    /// Destroys the cluster (clients connected to it see their brokers vanish). Idempotent.
    public func close() {
        closed.withLock { closed in
            guard !closed else { return }
            closed = true
            rd_kafka_mock_cluster_destroy(cluster.pointer)
            rd_kafka_destroy(handle.pointer)
            unmanagedContext.release()
        }
    }

    private func call(_ operation: String, _ body: (OpaquePointer) -> rd_kafka_resp_err_t) throws(KafkaError) {
        try closed.withLock { (closed) throws(KafkaError) in
            guard !closed else { throw .closed }
            let err = body(cluster.pointer)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.from(err, operation: operation) }
        }
    }
}
