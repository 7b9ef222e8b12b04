import OrderStreamDomain

/// An in-memory, deliberately simple implementation of "what the worker does with an event"
/// (reject, skip a duplicate, apply) and of the KPIs.
///
/// Exists as the oracle for tests: the real worker (batched SQL) must agree with it on order
/// states and KPIs for the same messages. It keeps every applied event's time and customer, so
/// it is for tests and tools, not for production volumes.
///
/// Semantics (contract plus the windowing choice shared with the worker):
/// - a KPI *member* (an order's created/cancelled/shipped; a payment_id's
///   authorized/failed/captured/refunded) counts once, in the window of the `occurred_at` of the
///   first applied event that made it a member; captured/refunded cents follow that member
///   (its first event's amount and currency);
/// - `active_customers` of a window: distinct customers with any applied event in the window;
///   `events_applied`: applied events in the window;
/// - a second `order.created` with a new event id is applied (counted) but changes nothing;
/// - an order's payment amounts count once per (payment_id, event type).
public struct ReferenceModel: Sendable {
    /// What `apply` did with one message.
    public enum ApplyOutcome: Sendable, Equatable {
        case applied(Event)
        case duplicate(eventId: String)
        case rejected(Rejection)
    }

    /// A payment KPI member: one payment id and one payment event type.
    private struct PaymentKey: Hashable, Sendable {
        var paymentId: String
        var type: EventType
    }

    /// An order KPI member: one order id and one order event type.
    private struct OrderKey: Hashable, Sendable {
        var orderId: String
        var type: EventType
    }

    private struct PaymentMember: Sendable {
        var occurredAtMicros: Int64
        var amountCents: Int64
        var currency: String
    }

    private struct OrderRecord: Sendable {
        var facts = OrderFacts()
        /// (payment_id, type) pairs already counted into this order's facts.
        var countedPayments: Set<PaymentKey> = []
    }

    private struct AppliedEvent: Sendable {
        var occurredAtMicros: Int64
        var customerId: String
    }

    private var appliedEventIds: Set<String> = []
    private var orders: [String: OrderRecord] = [:]
    private var orderMembers: [OrderKey: Int64] = [:]
    private var paymentMembers: [PaymentKey: PaymentMember] = [:]
    private var appliedEvents: [AppliedEvent] = []
    private var duplicateCount: Int64 = 0
    /// Rejected messages per reason code.
    public private(set) var rejectionsByReason: [RejectionReason: Int64] = [:]

    public init() {}

    /// Validates one message and rejects, skips or applies it.
    @discardableResult
    public mutating func apply(topic: String, key: [UInt8]?, value: [UInt8]) -> ApplyOutcome {
        switch EventValidator.validate(topic: topic, key: key, value: value) {
        case .rejected(let rejection):
            rejectionsByReason[rejection.reason, default: 0] += 1
            return .rejected(rejection)
        case .valid(let event):
            guard appliedEventIds.insert(event.eventId).inserted else {
                duplicateCount += 1
                return .duplicate(eventId: event.eventId)
            }
            applyEvent(event)
            return .applied(event)
        }
    }

    private mutating func applyEvent(_ event: Event) {
        appliedEvents.append(AppliedEvent(occurredAtMicros: event.occurredAtMicros, customerId: event.customerId))
        var record = orders[event.orderId] ?? OrderRecord()
        if record.facts.customerId == nil { record.facts.customerId = event.customerId }
        switch event.payload {
        case .orderCreated(_, let totalCents, let currency):
            if !record.facts.created {
                record.facts.created = true
                record.facts.totalCents = totalCents
                record.facts.currency = currency
                record.facts.customerId = event.customerId
            }
        case .orderCancelled:
            record.facts.cancelled = true
        case .orderShipped:
            record.facts.shipped = true
        case .payment(let payment):
            let key = PaymentKey(paymentId: payment.paymentId, type: event.eventType)
            if record.countedPayments.insert(key).inserted {
                switch event.eventType {
                case .paymentAuthorized:
                    record.facts.anyAuthorizedOrCaptured = true
                case .paymentCaptured:
                    record.facts.anyAuthorizedOrCaptured = true
                    record.facts.capturedCents = OrderFacts.saturatingAdd(
                        record.facts.capturedCents, payment.amountCents)
                case .paymentFailed:
                    record.facts.anyFailed = true
                case .paymentRefunded:
                    record.facts.refundedCents = OrderFacts.saturatingAdd(
                        record.facts.refundedCents, payment.amountCents)
                case .orderCreated, .orderCancelled, .orderShipped:
                    break
                }
            }
            if paymentMembers[key] == nil {
                paymentMembers[key] = PaymentMember(
                    occurredAtMicros: event.occurredAtMicros,
                    amountCents: payment.amountCents, currency: payment.currency)
            }
        }
        if event.eventType.topic == .orders {
            let key = OrderKey(orderId: event.orderId, type: event.eventType)
            if orderMembers[key] == nil { orderMembers[key] = event.occurredAtMicros }
        }
        orders[event.orderId] = record
    }

    // MARK: Queries

    /// The facts and derived status of an order, nil if no event of it was applied.
    public func order(_ orderId: String) -> (facts: OrderFacts, status: OrderStatus)? {
        guard let record = orders[orderId] else { return nil }
        return (record.facts, OrderStatus.derive(record.facts))
    }

    /// Every order id with at least one applied event, sorted.
    public var orderIds: [String] { orders.keys.sorted() }

    /// Messages skipped as duplicates.
    public var eventsDuplicate: Int64 { duplicateCount }

    /// Messages rejected, all reasons.
    public var eventsRejected: Int64 { rejectionsByReason.values.reduce(0, +) }

    /// The totals KPIs.
    public func kpis() -> KPISnapshot {
        var snapshot = snapshot { _ in true }
        snapshot.eventsDuplicate = duplicateCount
        snapshot.eventsRejected = eventsRejected
        return snapshot
    }

    /// The KPIs over `[fromMicros, toMicros)` (`eventsDuplicate`/`eventsRejected` left 0).
    public func kpis(fromMicros: Int64, toMicros: Int64) -> KPISnapshot {
        snapshot { $0 >= fromMicros && $0 < toMicros }
    }

    private func snapshot(_ inWindow: (Int64) -> Bool) -> KPISnapshot {
        var s = KPISnapshot()
        for (key, occurredAt) in orderMembers where inWindow(occurredAt) {
            switch key.type {
            case .orderCreated: s.ordersCreated += 1
            case .orderCancelled: s.ordersCancelled += 1
            case .orderShipped: s.ordersShipped += 1
            default: break
            }
        }
        for (key, member) in paymentMembers where inWindow(member.occurredAtMicros) {
            switch key.type {
            case .paymentAuthorized: s.paymentsAuthorized += 1
            case .paymentFailed: s.paymentsFailed += 1
            case .paymentCaptured:
                s.paymentsCaptured += 1
                s.capturedCents[member.currency] = OrderFacts.saturatingAdd(
                    s.capturedCents[member.currency] ?? 0, member.amountCents)
            case .paymentRefunded:
                s.paymentsRefunded += 1
                s.refundedCents[member.currency] = OrderFacts.saturatingAdd(
                    s.refundedCents[member.currency] ?? 0, member.amountCents)
            default: break
            }
        }
        var customers: Set<String> = []
        for event in appliedEvents where inWindow(event.occurredAtMicros) {
            s.eventsApplied += 1
            customers.insert(event.customerId)
        }
        s.activeCustomers = Int64(customers.count)
        return s
    }
}
