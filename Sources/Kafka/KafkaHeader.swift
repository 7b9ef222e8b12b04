/// One Kafka record header. Kafka allows repeated keys and null values, so headers are
/// an ordered list, not a dictionary.
public struct KafkaHeader: Sendable, Hashable {
    public var key: String
    /// `nil` is a null header value (distinct from an empty one).
    public var value: [UInt8]?

    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }
}
