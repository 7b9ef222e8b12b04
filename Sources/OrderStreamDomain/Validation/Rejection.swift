/// Why a message was rejected: the contract's reason code plus a short human `detail` naming
/// the field (e.g. `data.items[1].quantity must be an integer`), sent as the `detail`
/// dead-letter header. Details quote at most a short prefix of input values.
public struct Rejection: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: RejectionReason
    public var detail: String

    public init(_ reason: RejectionReason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }

    public var description: String { "\(reason.rawValue): \(detail)" }
}
