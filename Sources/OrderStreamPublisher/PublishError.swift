import Kafka
import OrderStreamDomain

/// Why ``EventPublisher/send(_:)`` did not deliver an event.
public enum PublishError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The event breaks the contract: nothing was sent. `field` is the field the check names
    /// (`data.currency`, `data.items[1].quantity`, `order_id`; `value` for `too_large` and
    /// `malformed`), `reason` the contract's reason code, `detail` the validator's sentence.
    case invalid(field: String, reason: RejectionReason, detail: String)
    /// The broker did not acknowledge the event within the delivery timeout, or refused it.
    /// The event may still have been written (a late acknowledgement): resend the same event
    /// (same `event_id`) and the worker skips the copy.
    case notDelivered(KafkaError)
    /// The publisher was closed before the event was handed to the producer.
    case closed

    public var description: String {
        switch self {
        case .invalid(let field, let reason, let detail):
            return "invalid event (\(reason.rawValue) at \(field)): \(detail)"
        case .notDelivered(let error): return "not delivered: \(error)"
        case .closed: return "the publisher is closed"
        }
    }

    /// The field a rejection names: the first word of the validator's detail for the
    /// field-level checks, a fixed field for the others.
    static func field(of rejection: Rejection) -> String {
        switch rejection.reason {
        case .tooLarge, .malformed: return "value"
        case .unsupportedVersion: return "schema_version"
        case .unknownEventType, .wrongTopic: return "event_type"
        case .keyMismatch: return "order_id"
        case .invalidCurrency: return "data.currency"
        case .totalMismatch: return "data.total_cents"
        case .invalidField, .invalidAmount, .applyFailed:
            return rejection.detail.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
        }
    }
}
