/// The two Kafka topics of the contract.
///
/// Exists so routing and `wrong_topic` checks compare enum cases, not strings.
public enum Topic: String, Sendable, Hashable, CaseIterable {
    case orders
    case payments

    /// Where rejected messages of this topic go: `<topic>.dlq`.
    public var deadLetterTopic: String { rawValue + ".dlq" }
}
