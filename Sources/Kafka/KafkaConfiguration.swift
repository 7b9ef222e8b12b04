import OrderStreamCommon

/// librdkafka properties in the order they were set, since librdkafka applies them in
/// order and some properties override others (e.g. `acks` after `enable.idempotence`).
/// Any librdkafka property can be set (see librdkafka's CONFIGURATION.md); unknown
/// names and bad values are reported when a client is created.
public struct KafkaConfiguration: Sendable, Hashable, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    private var order: [String] = []
    private var storage: [String: String] = [:]

    public init() {}

    public init(dictionaryLiteral elements: (String, String)...) {
        for (key, value) in elements { self[key] = value }
    }

    /// The value of `property`; assigning `nil` removes it. Re-setting keeps the first position.
    public subscript(property: String) -> String? {
        get { storage[property] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: property) == nil { order.append(property) }
            } else if storage.removeValue(forKey: property) != nil {
                order.removeAll { $0 == property }
            }
        }
    }

    /// The properties in the order they were first set.
    public var properties: [(property: String, value: String)] {
        order.map { ($0, storage[$0]!) }
    }

    /// A copy with `property` set to `value`.
    public func setting(_ property: String, _ value: String) -> KafkaConfiguration {
        var copy = self
        copy[property] = value
        return copy
    }

    /// Sets `value` only if the caller has not set `property` (used for the clients' defaults).
    mutating func setDefault(_ property: String, _ value: String) {
        if storage[property] == nil { self[property] = value }
    }

    /// Properties librdkafka only reads in consumers (it warns when a producer gets them).
    static let consumerOnlyProperties: Set<String> = [
        "group.id", "group.instance.id", "group.protocol.type", "partition.assignment.strategy",
        "session.timeout.ms", "heartbeat.interval.ms", "coordinator.query.interval.ms", "max.poll.interval.ms",
        "enable.auto.commit", "auto.commit.interval.ms", "enable.auto.offset.store", "queued.min.messages",
        "queued.max.messages.kbytes", "fetch.wait.max.ms", "fetch.message.max.bytes", "max.partition.fetch.bytes",
        "fetch.max.bytes", "fetch.min.bytes", "fetch.error.backoff.ms", "offset.store.method", "isolation.level",
        "enable.partition.eof", "check.crcs", "auto.offset.reset", "allow.auto.create.topics",
    ]

    /// The same properties without the consumer-only ones: one configuration (from a file or the
    /// environment) can serve a worker's consumer and its dead-letter producer without warnings.
    public var forProducer: KafkaConfiguration {
        var copy = self
        for property in order where Self.consumerOnlyProperties.contains(property) { copy[property] = nil }
        return copy
    }

    /// The properties with secret values masked: safe to log.
    public var description: String {
        let items = properties.map { "\($0.property)=\(Secrets.masked(property: $0.property, value: $0.value))" }
        return "KafkaConfiguration(\(items.joined(separator: ", ")))"
    }

    public static func == (lhs: KafkaConfiguration, rhs: KafkaConfiguration) -> Bool {
        lhs.order == rhs.order && lhs.storage == rhs.storage
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(order)
        hasher.combine(storage)
    }
}
