/// Every log metadata key this layer uses, in one place so dashboards can rely on them.
enum KafkaLogKey {
    static let client = "kafka.client"
    static let event = "kafka.event"
    static let facility = "kafka.facility"
    static let lost = "kafka.lost"
    static let messageId = "kafka.message_id"
    static let outputQueueLength = "kafka.outq"
    static let partitions = "kafka.partitions"
    static let rebalanceProtocol = "kafka.protocol"
}
