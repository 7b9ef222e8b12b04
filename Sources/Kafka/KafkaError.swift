import CRdKafka

/// Every failure of the Kafka layer as a typed value. Descriptions are safe to log:
/// configuration values of secret properties are masked where the error is built,
/// and no other case carries user data beyond topic names.
public enum KafkaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// librdkafka refused a configuration property (unknown name or bad value).
    /// `value` is `"***"` for secret properties.
    case invalidConfiguration(property: String, value: String, message: String)
    /// `rd_kafka_new` (or the mock cluster) could not create a client.
    case clientCreation(message: String)
    /// A produced message could not be delivered (e.g. `_MSG_TIMED_OUT`), reported per message.
    case delivery(code: KafkaErrorCode, message: String)
    /// The local producer queue stayed full for longer than the producer's retry budget.
    case queueFull
    /// A blocking operation did not finish in time; `operation` names it.
    case timedOut(operation: String)
    /// A broker connection failed or all brokers are down (an ERROR event).
    case transport(code: KafkaErrorCode, message: String)
    /// The consumer reached the end of a partition (only with `enable.partition.eof=true`).
    case partitionEOF(topic: String, partition: Int32, offset: Int64)
    /// Any other librdkafka error, from an API call or an ERROR event.
    /// `fatal` is true when librdkafka says the client can no longer be used.
    case kafka(code: KafkaErrorCode, message: String, fatal: Bool)
    /// The client was closed; no further calls are possible.
    case closed
    /// `KafkaConsumer.poll` was entered from a second thread while another poll ran.
    case concurrentPoll

    /// The librdkafka code behind this error, where there is one.
    public var code: KafkaErrorCode? {
        switch self {
        case .delivery(let code, _), .transport(let code, _), .kafka(let code, _, _):
            return code
        case .queueFull:
            return .queueFull
        case .timedOut:
            return .timedOut
        case .partitionEOF:
            return .partitionEOF
        case .invalidConfiguration, .clientCreation, .closed, .concurrentPoll:
            return nil
        }
    }

    public var description: String {
        switch self {
        case .invalidConfiguration(let property, let value, let message):
            return "invalid Kafka configuration \(property)=\(value): \(message)"
        case .clientCreation(let message):
            return "cannot create Kafka client: \(message)"
        case .delivery(let code, let message):
            return "Kafka delivery failed: \(code): \(message)"
        case .queueFull:
            return "Kafka producer queue full"
        case .timedOut(let operation):
            return "Kafka \(operation) timed out"
        case .transport(let code, let message):
            return "Kafka transport error \(code): \(message)"
        case .partitionEOF(let topic, let partition, let offset):
            return "end of partition \(topic)[\(partition)] at offset \(offset)"
        case .kafka(let code, let message, let fatal):
            return "Kafka \(fatal ? "fatal " : "")error \(code): \(message)"
        case .closed:
            return "Kafka client is closed"
        case .concurrentPoll:
            return "KafkaConsumer.poll called from two threads at once"
        }
    }

    /// Maps a librdkafka code from an API call or an ERROR event to the cleanest case.
    static func from(
        _ err: rd_kafka_resp_err_t, message: String? = nil, operation: String, fatal: Bool = false
    ) -> KafkaError {
        let code = KafkaErrorCode(err)
        let text = message ?? code.text
        switch err {
        case RD_KAFKA_RESP_ERR__TIMED_OUT:
            return .timedOut(operation: operation)
        case RD_KAFKA_RESP_ERR__QUEUE_FULL:
            return .queueFull
        case RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__RESOLVE:
            return .transport(code: code, message: text)
        default:
            return .kafka(code: code, message: "\(operation): \(text)", fatal: fatal)
        }
    }

    /// Takes ownership of an `rd_kafka_error_t`, destroys it, and returns its Swift value.
    static func consuming(_ error: OpaquePointer, operation: String) -> KafkaError {
        defer { rd_kafka_error_destroy(error) }
        let err = rd_kafka_error_code(error)
        let message = String(cString: rd_kafka_error_string(error))
        return .from(err, message: message, operation: operation, fatal: rd_kafka_error_is_fatal(error) != 0)
    }
}
