import CRdKafka
import Logging

/// Maps librdkafka's syslog levels and log lines onto swift-log, shared by the
/// event-based producer and the callback-based consumer and mock cluster.
enum RDKafkaLogging {
    /// syslog level (0 emergency ... 7 debug) to a swift-log level.
    static func level(_ syslogLevel: Int32) -> Logger.Level {
        switch syslogLevel {
        case ...2: return .critical
        case 3: return .error
        case 4: return .warning
        case 5: return .notice
        case 6: return .info
        default: return .debug
        }
    }

    static func log(
        _ logger: Logger, level: Int32, facility: UnsafePointer<CChar>?, message: UnsafePointer<CChar>?, client: String?
    ) {
        let swiftLevel = self.level(level)
        guard logger.logLevel <= swiftLevel else { return }
        var metadata: Logger.Metadata = [KafkaLogKey.facility: .string(facility.map { String(cString: $0) } ?? "")]
        if let client { metadata[KafkaLogKey.client] = .string(client) }
        logger.log(level: swiftLevel, "\(message.map { String(cString: $0) } ?? "")", metadata: metadata)
    }
}
