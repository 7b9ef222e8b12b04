/// The contract's rejection reason codes, in the order the checks run (the first failing check
/// names a message). Raw values are the wire codes used in the `reason` dead-letter header.
public enum RejectionReason: String, Sendable, Hashable, CaseIterable {
    case tooLarge = "too_large"
    case malformed = "malformed"
    case unsupportedVersion = "unsupported_version"
    case unknownEventType = "unknown_event_type"
    case wrongTopic = "wrong_topic"
    case invalidField = "invalid_field"
    case keyMismatch = "key_mismatch"
    case invalidAmount = "invalid_amount"
    case invalidCurrency = "invalid_currency"
    case totalMismatch = "total_mismatch"
}
