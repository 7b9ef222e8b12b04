import CRdKafka

/// A librdkafka error code (`rd_kafka_resp_err_t`) as a plain value, so callers can
/// match on codes without seeing the C enum.
public struct KafkaErrorCode: Sendable, Hashable, CustomStringConvertible {
    /// The numeric `rd_kafka_resp_err_t` value (negative: client-side, positive: broker).
    public let rawValue: Int32

    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    init(_ err: rd_kafka_resp_err_t) {
        self.rawValue = err.rawValue
    }

    /// librdkafka's symbolic name, e.g. `_MSG_TIMED_OUT` (`rd_kafka_err2name`).
    public var name: String {
        String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(rawValue: rawValue)))
    }

    /// librdkafka's human readable text for the code (`rd_kafka_err2str`).
    public var text: String {
        String(cString: rd_kafka_err2str(rd_kafka_resp_err_t(rawValue: rawValue)))
    }

    public var description: String { "\(name) (\(rawValue))" }

    public static let messageTimedOut = KafkaErrorCode(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT)
    public static let queueFull = KafkaErrorCode(RD_KAFKA_RESP_ERR__QUEUE_FULL)
    public static let timedOut = KafkaErrorCode(RD_KAFKA_RESP_ERR__TIMED_OUT)
    public static let partitionEOF = KafkaErrorCode(RD_KAFKA_RESP_ERR__PARTITION_EOF)
    public static let transport = KafkaErrorCode(RD_KAFKA_RESP_ERR__TRANSPORT)
    public static let allBrokersDown = KafkaErrorCode(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
    public static let purgeQueue = KafkaErrorCode(RD_KAFKA_RESP_ERR__PURGE_QUEUE)
    public static let purgeInflight = KafkaErrorCode(RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
    public static let offsetOutOfRange = KafkaErrorCode(RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE)
    public static let unknownMemberId = KafkaErrorCode(RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID)
}
