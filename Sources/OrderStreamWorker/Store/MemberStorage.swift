import OrderStreamDomain

/// Where the apply keeps KPI membership (schema version 8): which row a member of each kind
/// lives on, and its bit there. The migration that moved `kpi_members` onto these rows spells
/// the same bits in SQL; `SchemaUpgradeTests` checks that the two agree.
enum MemberStorage {
    /// The row that records a member of a kind.
    enum Owner: String {
        /// `orders`: created, cancelled and shipped are the order's own boolean columns.
        case order
        /// `payments`: one row per payment id, its kinds as bits of `kinds`.
        case payment
        /// `customers`: one row per customer.
        case customer
    }

    /// The owner and bit of each member kind (nil for `.event`, which is counted, not a member).
    static func place(of kind: KPIKind) -> (owner: Owner, bit: Int)? {
        switch kind {
        case .orderCreated: (.order, 1)
        case .orderCancelled: (.order, 2)
        case .orderShipped: (.order, 4)
        case .paymentAuthorized: (.payment, 1)
        case .paymentFailed: (.payment, 2)
        case .paymentCaptured: (.payment, 4)
        case .paymentRefunded: (.payment, 8)
        case .customer: (.customer, 1)
        case .event: nil
        }
    }

    /// The kpi_minutes shards: a session writes the bucket rows of its own shard (its backend
    /// pid modulo this), so concurrent applies in the same minute rarely wait for each other.
    static let bucketShards = 16
}
