/// Applies contract v1 to one Kafka message (topic, key, value bytes).
///
/// Exists as the single place that decides apply-or-reject, so the worker, the reference model
/// and the load generator's tests agree. Checks run in exactly the contract's order and the
/// first failing one names the message: `too_large`, `malformed`, `unsupported_version`,
/// `unknown_event_type`, `wrong_topic`, `invalid_field`, `key_mismatch`, `invalid_amount`,
/// `invalid_currency`, `total_mismatch`.
///
/// Choices where the contract is silent (documented here so every consumer agrees):
/// - a topic that is neither `orders` nor `payments` is `wrong_topic` (whatever the value says);
/// - a missing or non-string `event_type` is `invalid_field`;
/// - a negative `total_cents` is `total_mismatch` (the sum of valid items is never negative);
/// - free-text strings (`sku`, `reason`, `carrier`, `tracking_number`, `method`,
///   `failure_code`) may be empty; ids must have 1-64 Unicode scalars;
/// - no string field of the contract may contain U+0000 (PostgreSQL `text` cannot hold it):
///   `invalid_field`, the detail names the field; unknown extra fields are not inspected;
/// - `quantity` is 1...`ContractLimits.maximumQuantity` (10^6), `unit_price_cents` and
///   `amount_cents` are 0...`ContractLimits.maximumCents` (10^12), `total_cents` at most
///   10^12: outside is `invalid_amount` (checked items first, in order, then `total_cents`);
/// - sums that overflow `Int64` are a `total_mismatch`, never a trap.
///
/// Nothing here traps on input: no force unwraps of input-derived values, all arithmetic on
/// input integers is overflow-checked.
public enum EventValidator {
    /// Values strictly larger than this are `too_large` (`ContractLimits.maximumValueBytes`).
    public static let maximumValueBytes = ContractLimits.maximumValueBytes
    /// Ids (`event_id`, `order_id`, `customer_id`, `payment_id`) have 1...this many scalars
    /// (`ContractLimits.maximumIdLength`).
    public static let maximumIdLength = ContractLimits.maximumIdLength

    public static func validate(topic: String, key: [UInt8]?, value: [UInt8]) -> ValidationOutcome {
        do throws(Rejection) {
            return .valid(try check(topic: topic, key: key, value: value))
        } catch {
            return .rejected(error)
        }
    }

    private static func check(topic: String, key: [UInt8]?, value: [UInt8]) throws(Rejection) -> Event {
        // 1. too_large
        if value.count > maximumValueBytes {
            throw Rejection(.tooLarge, "value is \(value.count) bytes, over the \(maximumValueBytes) byte limit")
        }

        // 2. malformed
        let root: JSONValue
        do throws(JSONParseError) {
            root = try JSONParser.parse(value)
        } catch {
            throw Rejection(.malformed, "value is not UTF-8 JSON: \(error)")
        }
        guard case .object(let envelope) = root else {
            throw Rejection(.malformed, "value is a JSON \(root.typeName), not an object")
        }

        // 3. unsupported_version (present and not the integer 1; missing is invalid_field later)
        if let version = envelope["schema_version"], version != .integer(1) {
            throw Rejection(
                .unsupportedVersion, "schema_version must be the integer 1, got \(FieldReader.show(version))")
        }

        // 4. unknown_event_type (a string not among the seven)
        var knownType: EventType?
        if case .string(let name)? = envelope["event_type"] {
            guard let type = EventType(rawValue: name) else {
                throw Rejection(
                    .unknownEventType, "event_type \(FieldReader.show(.string(name))) is not a known event type")
            }
            knownType = type
        }

        // 5. wrong_topic
        guard let sourceTopic = Topic(rawValue: topic) else {
            throw Rejection(.wrongTopic, "topic \(FieldReader.show(.string(topic))) is neither orders nor payments")
        }
        if let type = knownType, type.topic != sourceTopic {
            throw Rejection(.wrongTopic, "\(type.rawValue) belongs on \(type.topic.rawValue), not on \(topic)")
        }

        // 6. invalid_field: every required field present with the right JSON type.
        let reader = FieldReader(envelope, path: "")
        let eventId = try reader.id("event_id")
        guard let eventType = knownType else {
            throw Rejection(.invalidField, "event_type must be a string")
        }
        guard envelope["schema_version"] != nil else {
            throw Rejection(.invalidField, "schema_version is missing")
        }
        let occurredAtText = try reader.string("occurred_at")
        guard let occurredAt = RFC3339.parseMicros(occurredAtText) else {
            throw Rejection(.invalidField, "occurred_at must be an RFC 3339 timestamp with a zone")
        }
        let orderId = try reader.id("order_id")
        let customerId = try reader.id("customer_id")
        let data = try reader.object("data")
        let payload = try readPayload(eventType, data)

        // 7. key_mismatch
        guard let key else {
            throw Rejection(.keyMismatch, "the message has no key; it must equal order_id")
        }
        guard key.elementsEqual(orderId.utf8) else {
            throw Rejection(.keyMismatch, "the key differs from order_id \(FieldReader.show(.string(orderId)))")
        }

        // 8-10. invalid_amount, invalid_currency, total_mismatch
        try checkAmounts(payload)
        try checkCurrency(payload)
        try checkTotal(payload)

        return Event(
            eventId: eventId, eventType: eventType, occurredAtMicros: occurredAt,
            orderId: orderId, customerId: customerId, payload: payload)
    }

    /// Reads the per-type `data` fields (types only; values are checked afterwards, in order).
    private static func readPayload(_ type: EventType, _ data: FieldReader) throws(Rejection) -> EventPayload {
        switch type {
        case .orderCreated:
            let itemValues = try data.array("items")
            var items: [LineItem] = []
            items.reserveCapacity(itemValues.count)
            for (index, itemValue) in itemValues.enumerated() {
                let path = "data.items[\(index)]"
                guard case .object(let fields) = itemValue else {
                    throw Rejection(.invalidField, "\(path) must be an object")
                }
                let item = FieldReader(fields, path: path + ".")
                items.append(
                    LineItem(
                        sku: try item.string("sku"),
                        quantity: try item.integer("quantity"),
                        unitPriceCents: try item.integer("unit_price_cents")))
            }
            let total = try data.integer("total_cents")
            let currency = try data.string("currency")
            return .orderCreated(items: items, totalCents: total, currency: currency)
        case .orderCancelled:
            return .orderCancelled(reason: try data.string("reason"))
        case .orderShipped:
            return .orderShipped(
                carrier: try data.string("carrier"), trackingNumber: try data.string("tracking_number"))
        case .paymentAuthorized, .paymentCaptured, .paymentFailed, .paymentRefunded:
            var facts = PaymentFacts(
                paymentId: try data.id("payment_id"),
                amountCents: try data.integer("amount_cents"),
                currency: try data.string("currency"))
            if type == .paymentAuthorized { facts.method = try data.string("method") }
            if type == .paymentFailed { facts.failureCode = try data.string("failure_code") }
            return .payment(facts)
        }
    }

    private static func checkAmounts(_ payload: EventPayload) throws(Rejection) {
        switch payload {
        case .orderCreated(let items, let total, _):
            if items.isEmpty { throw Rejection(.invalidAmount, "data.items must not be empty") }
            for (index, item) in items.enumerated() {
                try checkRange("data.items[\(index)].quantity", item.quantity, 1...ContractLimits.maximumQuantity)
                try checkRange(
                    "data.items[\(index)].unit_price_cents", item.unitPriceCents, 0...ContractLimits.maximumCents)
            }
            // A negative total is a total_mismatch (see above); only the upper bound is checked here.
            if total > ContractLimits.maximumCents {
                throw Rejection(
                    .invalidAmount, "data.total_cents must be <= \(ContractLimits.maximumCents), got \(total)")
            }
        case .payment(let facts):
            try checkRange("data.amount_cents", facts.amountCents, 0...ContractLimits.maximumCents)
        case .orderCancelled, .orderShipped:
            break
        }
    }

    /// `invalid_amount` unless `value` is in `range`; the detail names the field and the bound.
    /// `field` is built only for a rejection: this runs for every item of every event.
    private static func checkRange(
        _ field: @autoclosure () -> String, _ value: Int64, _ range: ClosedRange<Int64>
    ) throws(Rejection) {
        if value < range.lowerBound {
            throw Rejection(.invalidAmount, "\(field()) must be >= \(range.lowerBound), got \(value)")
        }
        if value > range.upperBound {
            throw Rejection(.invalidAmount, "\(field()) must be <= \(range.upperBound), got \(value)")
        }
    }

    private static func checkCurrency(_ payload: EventPayload) throws(Rejection) {
        let currency: String
        switch payload {
        case .orderCreated(_, _, let c): currency = c
        case .payment(let facts): currency = facts.currency
        case .orderCancelled, .orderShipped: return
        }
        if !isCurrencyCode(currency) {
            throw Rejection(
                .invalidCurrency,
                "data.currency must be 3 upper-case letters, got \(FieldReader.show(.string(currency)))")
        }
    }

    private static func checkTotal(_ payload: EventPayload) throws(Rejection) {
        guard case .orderCreated(let items, let total, _) = payload else { return }
        var sum: Int64 = 0
        var overflow = false
        for item in items {
            let (line, o1) = item.quantity.multipliedReportingOverflow(by: item.unitPriceCents)
            let (next, o2) = sum.addingReportingOverflow(line)
            if o1 || o2 { overflow = true; break }
            sum = next
        }
        if overflow {
            throw Rejection(
                .totalMismatch, "sum(quantity * unit_price_cents) overflows 64 bits; total_cents is \(total)")
        }
        if sum != total {
            throw Rejection(
                .totalMismatch, "data.total_cents is \(total) but sum(quantity * unit_price_cents) is \(sum)")
        }
    }

    /// Exactly three ASCII letters A-Z.
    public static func isCurrencyCode(_ text: String) -> Bool {
        var count = 0
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") else { return false }
            count += 1
            if count > 3 { return false }
        }
        return count == 3
    }
}
