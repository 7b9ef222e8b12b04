import CRdKafka
import Logging

/// What librdkafka's C callbacks (log, error, rebalance) need, reached through the
/// conf's single opaque slot. Immutable, so it is safe from librdkafka's internal
/// threads (logs) and the polling thread (errors, rebalances) alike.
final class RDKafkaClientContext: Sendable {
    let logger: Logger
    let onError: (@Sendable (KafkaError) -> Void)?
    let rebalanceHandler: (any KafkaRebalanceHandler)?

    init(logger: Logger, onError: (@Sendable (KafkaError) -> Void)?, rebalanceHandler: (any KafkaRebalanceHandler)?) {
        self.logger = logger
        self.onError = onError
        self.rebalanceHandler = rebalanceHandler
    }

    /// Installs the callbacks and the opaque on `conf` and returns the retained context.
    // Unmanaged: the context is retained exactly once here, and the owner releases it
    // exactly once, after `rd_kafka_destroy` has returned (or after `rd_kafka_new`
    // failed). librdkafka calls no callback after destroy returns, so every callback
    // sees a live object and nothing leaks.
    static func install(
        on conf: OpaquePointer, context: RDKafkaClientContext, rebalance: Bool
    ) -> Unmanaged<RDKafkaClientContext> {
        let unmanaged = Unmanaged.passRetained(context)
        rd_kafka_conf_set_opaque(conf, unmanaged.toOpaque())
        rd_kafka_conf_set_log_cb(conf, rdkafkaLogCallback)
        rd_kafka_conf_set_error_cb(conf, rdkafkaErrorCallback)
        if rebalance {
            rd_kafka_conf_set_rebalance_cb(conf, rdkafkaRebalanceCallback)
        }
        return unmanaged
    }

    static func from(_ opaque: UnsafeMutableRawPointer?) -> RDKafkaClientContext? {
        guard let opaque else { return nil }
        return Unmanaged<RDKafkaClientContext>.fromOpaque(opaque).takeUnretainedValue()
    }

    func reportError(_ error: KafkaError, level: Logger.Level = .error) {
        logger.log(level: level, "\(error.description)")
        onError?(error)
    }

    /// The rebalance protocol work: tell the application first, then (un)assign with
    /// the calls that match the protocol in force right now.
    func rebalance(
        rk: OpaquePointer, err: rd_kafka_resp_err_t, list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
    ) {
        let protocolName = rd_kafka_rebalance_protocol(rk).map { String(cString: $0) } ?? "NONE"
        let cooperative = protocolName == "COOPERATIVE"
        let partitions = RDKafkaTopicPartitionList.partitions(list)
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            logger.info(
                "Kafka partitions assigned",
                metadata: [KafkaLogKey.partitions: "\(partitions)", KafkaLogKey.rebalanceProtocol: "\(protocolName)"])
            let offsets = rebalanceHandler?.partitionsAssigned(partitions) ?? [:]
            if !offsets.isEmpty {
                for index in RDKafkaTopicPartitionList.elements(list).indices {
                    let element = list.pointee.elems[index]
                    let tp = TopicPartition(topic: String(cString: element.topic), partition: element.partition)
                    if let offset = offsets[tp] { list.pointee.elems[index].offset = offset }
                }
            }
            if cooperative {
                if let error = rd_kafka_incremental_assign(rk, list) {
                    reportError(KafkaError.consuming(error, operation: "incremental_assign"))
                }
            } else {
                let result = rd_kafka_assign(rk, list)
                if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                    reportError(KafkaError.from(result, operation: "assign"))
                }
            }
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = rd_kafka_assignment_lost(rk) != 0
            logger.info(
                "Kafka partitions revoked",
                metadata: [
                    KafkaLogKey.partitions: "\(partitions)", KafkaLogKey.lost: "\(lost)",
                    KafkaLogKey.rebalanceProtocol: "\(protocolName)",
                ])
            rebalanceHandler?.partitionsRevoked(partitions, lost: lost)
            if cooperative {
                if let error = rd_kafka_incremental_unassign(rk, list) {
                    reportError(KafkaError.consuming(error, operation: "incremental_unassign"))
                }
            } else {
                let result = rd_kafka_assign(rk, nil)
                if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                    reportError(KafkaError.from(result, operation: "unassign"))
                }
            }
        default:
            // librdkafka's documented recovery: report, then drop the assignment so the
            // client's state is in sync with the group again.
            reportError(KafkaError.from(err, operation: "rebalance"))
            _ = rd_kafka_assign(rk, nil)
        }
    }
}

/// librdkafka log callback; runs on librdkafka's internal threads, so it only logs.
private func rdkafkaLogCallback(
    _ rk: OpaquePointer?, _ level: Int32, _ facility: UnsafePointer<CChar>?, _ message: UnsafePointer<CChar>?
) {
    guard let rk, let context = RDKafkaClientContext.from(rd_kafka_opaque(rk)) else { return }
    RDKafkaLogging.log(
        context.logger, level: level, facility: facility, message: message, client: String(cString: rd_kafka_name(rk)))
}

/// librdkafka error callback; served from the polling thread.
private func rdkafkaErrorCallback(
    _ rk: OpaquePointer?, _ err: Int32, _ reason: UnsafePointer<CChar>?, _ opaque: UnsafeMutableRawPointer?
) {
    guard let context = RDKafkaClientContext.from(opaque) else { return }
    let code = rd_kafka_resp_err_t(rawValue: err)
    var fatal = false
    if code == RD_KAFKA_RESP_ERR__FATAL, let rk {
        fatal = true
        _ = rd_kafka_fatal_error(rk, nil, 0)
    }
    let error = KafkaError.from(code, message: reason.map { String(cString: $0) }, operation: "client", fatal: fatal)
    context.reportError(error, level: fatal ? .critical : .error)
}

/// librdkafka rebalance callback; runs inside `rd_kafka_consumer_poll` / `consumer_close`
/// on the polling thread.
private func rdkafkaRebalanceCallback(
    _ rk: OpaquePointer?, _ err: rd_kafka_resp_err_t, _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
    _ opaque: UnsafeMutableRawPointer?
) {
    guard let rk, let list else { return }
    guard let context = RDKafkaClientContext.from(opaque) else {
        // No context cannot happen for our consumers; still keep librdkafka's state sane.
        _ = rd_kafka_assign(rk, nil)
        return
    }
    context.rebalance(rk: rk, err: err, list: list)
}
