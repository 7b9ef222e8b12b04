import Kafka
import OrderStreamDomain
import OrderStreamWorker

/// One message of a dead-letter topic and what its headers (written by the worker's
/// `DeadLetterPublisher`) and value say about it.
struct DeadLetter: Sendable, Equatable {
    let coordinates: LetterCoordinates
    /// The original message's key (the worker keeps it), usually the order id.
    let key: [UInt8]?
    /// The original message's bytes, unchanged.
    let value: [UInt8]
    let headers: [KafkaHeader]
    /// When the dead letter was written (broker timestamp, ms since the epoch), if known.
    let timestampMillis: Int64?
    /// The value's `event_id` and `order_id` when it is a JSON object that has them.
    let eventId: String?
    let valueOrderId: String?

    init(coordinates: LetterCoordinates, key: [UInt8]?, value: [UInt8], headers: [KafkaHeader], timestampMillis: Int64?)
    {
        self.coordinates = coordinates
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMillis = timestampMillis
        // Parsed once: filters and renderings ask for these many times. A value over the
        // contract's size limit is not parsed at all (it was rejected as too_large).
        let object = value.count <= EventValidator.maximumValueBytes ? (try? JSONParser.parse(value))?.objectValue : nil
        eventId = object?["event_id"]?.stringValue
        valueOrderId = object?["order_id"]?.stringValue
    }

    init(_ message: KafkaMessage) {
        self.init(
            coordinates: LetterCoordinates(topic: message.topic, partition: message.partition, offset: message.offset),
            key: message.key, value: message.value, headers: message.headers, timestampMillis: message.timestamp)
    }

    /// The last header called `name`, as UTF-8 text (invalid bytes replaced).
    func header(_ name: String) -> String? {
        headers.last(where: { $0.key == name })?.value.map { String(decoding: $0, as: UTF8.self) }
    }

    /// The rejection reason code (`reason` header); `unknown` for a letter without one.
    var reason: String { header("reason") ?? "unknown" }
    var detail: String { header("detail") ?? "" }

    /// The topic the rejected message came from: the `source_topic` header, else the
    /// dead-letter topic without `.dlq`.
    var sourceTopic: String {
        if let source = header("source_topic"), !source.isEmpty { return source }
        return coordinates.topic.hasSuffix(".dlq") ? String(coordinates.topic.dropLast(4)) : coordinates.topic
    }

    var sourcePartition: Int32? { header("source_partition").flatMap { Int32($0) } }
    var sourceOffset: Int64? { header("source_offset").flatMap { Int64($0) } }

    /// `source_topic:source_partition:source_offset` of the rejected message.
    var source: String {
        "\(sourceTopic):\(sourcePartition.map(String.init) ?? "?"):\(sourceOffset.map(String.init) ?? "?")"
    }

    /// How many replays the letter's event has been through (0 for a first rejection).
    var replayCount: Int { ReplayProvenance.count(in: headers) }
    var replayOf: String? { header(ReplayProvenance.replayOfHeader) }

    /// The order the letter belongs to: the value's `order_id`, else the key as text.
    var orderId: String? {
        valueOrderId ?? key.map { String(decoding: $0, as: UTF8.self) }
    }
}
