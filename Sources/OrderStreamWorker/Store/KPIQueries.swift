import OrderStreamDomain
import PostgreSQL

/// Reads the exact KPIs and orders from PostgreSQL: the numbers every worker agrees on.
enum KPIQueries {
    /// Totals (`window == nil`) or the KPIs of events whose `occurred_at` is in the window.
    static func kpis(window: KPIWindow?, on connection: PGConnection) throws(PGError) -> KPISnapshot {
        var snapshot = KPISnapshot()
        let buckets: PGResult
        if let window {
            buckets = try connection.query(
                """
                SELECT kind, currency, sum(members)::bigint AS members, sum(amount_cents)::bigint AS amount
                FROM kpi_minutes
                WHERE minute >= timestamptz 'epoch' + $1 * interval '1 microsecond'
                  AND minute <  timestamptz 'epoch' + $2 * interval '1 microsecond'
                GROUP BY kind, currency
                """, [window.fromMicros, window.toMicros])
        } else {
            buckets = try connection.query(
                """
                SELECT kind, currency, sum(members)::bigint AS members, sum(amount_cents)::bigint AS amount
                FROM kpi_minutes GROUP BY kind, currency
                """)
        }
        for row in 0..<buckets.rowCount {
            // A kind this release does not know (written by a newer one) is left out.
            guard let kind = KPIKind(rawValue: try buckets.string(row, "kind")) else { continue }
            add(
                kind: kind, currency: try buckets.string(row, "currency"),
                members: try buckets.int64(row, "members"), amount: try buckets.int64(row, "amount"), to: &snapshot)
        }
        if let window {
            // A distinct count over a window cannot be summed from per-minute buckets.
            let customers = try connection.query(
                """
                SELECT count(DISTINCT customer_id)::bigint AS n FROM customer_minutes
                WHERE minute >= timestamptz 'epoch' + $1 * interval '1 microsecond'
                  AND minute <  timestamptz 'epoch' + $2 * interval '1 microsecond'
                """, [window.fromMicros, window.toMicros])
            snapshot.activeCustomers = try customers.int64(0, "n")
        } else {
            let totals = try connection.query(
                """
                SELECT coalesce(sum(events_duplicate), 0)::bigint AS duplicates,
                       coalesce(sum(events_rejected), 0)::bigint AS rejected
                FROM partition_positions
                """)
            snapshot.eventsDuplicate = try totals.int64(0, "duplicates")
            snapshot.eventsRejected = try totals.int64(0, "rejected")
        }
        return snapshot
    }

    /// Adds one `kpi_minutes` bucket (summed or not) to `snapshot`.
    static func add(kind: KPIKind, currency: String, members: Int64, amount: Int64, to snapshot: inout KPISnapshot) {
        switch kind {
        case .orderCreated: snapshot.ordersCreated += members
        case .orderCancelled: snapshot.ordersCancelled += members
        case .orderShipped: snapshot.ordersShipped += members
        case .paymentAuthorized: snapshot.paymentsAuthorized += members
        case .paymentFailed: snapshot.paymentsFailed += members
        case .paymentCaptured:
            snapshot.paymentsCaptured += members
            snapshot.capturedCents[currency, default: 0] += amount
        case .paymentRefunded:
            snapshot.paymentsRefunded += members
            snapshot.refundedCents[currency, default: 0] += amount
        case .customer: snapshot.activeCustomers += members
        case .event: snapshot.eventsApplied += members
        }
    }

    /// One order as `GET /orders/{id}` shows it; nil for an order never seen.
    static func order(id: String, on connection: PGConnection) throws(PGError) -> OrderView? {
        let result = try connection.query(
            """
            SELECT customer_id, created, total_cents, currency, cancelled, shipped, captured_cents,
                   refunded_cents, authorized, failed
            FROM orders WHERE order_id = $1
            """, [id])
        guard result.rowCount == 1 else { return nil }
        let facts = OrderFacts(
            created: try result.bool(0, "created"),
            totalCents: try result.decodeIfPresent(Int64.self, row: 0, column: "total_cents"),
            currency: try result.decodeIfPresent(String.self, row: 0, column: "currency"),
            customerId: try result.string(0, "customer_id"),
            cancelled: try result.bool(0, "cancelled"),
            shipped: try result.bool(0, "shipped"),
            capturedCents: try result.int64(0, "captured_cents"),
            refundedCents: try result.int64(0, "refunded_cents"),
            anyAuthorizedOrCaptured: try result.bool(0, "authorized"),
            anyFailed: try result.bool(0, "failed"))
        return OrderView(orderId: id, facts: facts)
    }
}

/// An order as the HTTP API returns it: its facts and the status derived from them.
public struct OrderView: Sendable, Equatable {
    public let orderId: String
    public let facts: OrderFacts

    public init(orderId: String, facts: OrderFacts) {
        self.orderId = orderId
        self.facts = facts
    }

    public var status: OrderStatus { OrderStatus.derive(facts) }

    /// `{order_id, customer_id, status, total_cents, currency, captured_cents, refunded_cents}`;
    /// `total_cents` and `currency` are null until an `order.created` was applied.
    public var json: String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("order_id", orderId)
        writer.key("customer_id")
        if let customer = facts.customerId { writer.string(customer) } else { writer.null() }
        writer.field("status", status.rawValue)
        writer.key("total_cents")
        if let total = facts.totalCents { writer.integer(total) } else { writer.null() }
        writer.key("currency")
        if let currency = facts.currency { writer.string(currency) } else { writer.null() }
        writer.field("captured_cents", facts.capturedCents)
        writer.field("refunded_cents", facts.refundedCents)
        writer.endObject()
        return writer.text
    }
}
