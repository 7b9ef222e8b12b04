import OrderStreamDomain

/// One Kafka message produced by `LoadGenerator`, with what the worker is expected to do with it.
public struct GeneratedMessage: Sendable, Equatable {
    /// The expected fate of the message.
    public enum Kind: Sendable, Equatable, Hashable {
        /// A new event: applied.
        case valid
        /// A byte-identical re-send of an earlier valid message: skipped as a duplicate.
        case duplicate
        /// A contract violation: rejected with this reason.
        case invalid(RejectionReason)
    }

    public var topic: Topic
    public var key: [UInt8]?
    public var value: [UInt8]
    public var kind: Kind

    public init(topic: Topic, key: [UInt8]?, value: [UInt8], kind: Kind) {
        self.topic = topic
        self.key = key
        self.value = value
        self.kind = kind
    }
}
