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
    /// Not a validation check: the event passed validation, but PostgreSQL refused it for a
    /// reason no retry can cure (a data exception, a constraint, a program limit), and the worker
    /// isolated it from its batch. The SQLSTATE and server message are in `detail`.
    case applyFailed = "apply_failed"

    /// The reasons the validator gives, in the order its checks run (`applyFailed` comes later,
    /// from the worker).
    public static var validationOrder: [RejectionReason] { allCases.filter { $0 != .applyFailed } }
}
