import OrderStreamDomain

extension LoadGenerator.Iterator {
    /// Builds a message about `flow`'s order that breaks the contract in exactly one way, so the
    /// validator names `reason` (each variant passes every earlier check).
    mutating func makeInvalid(_ reason: RejectionReason, for flow: OrderFlow) -> GeneratedMessage {
        let variant = rng.next() % 2
        let key = Array(flow.orderId.utf8)
        var envelope = EventEncoder.Envelope(
            eventId: nextEventId(), eventType: EventType.paymentCaptured.rawValue,
            occurredAt: RFC3339.formatMillis(clockMicros),
            orderId: flow.orderId, customerId: flow.customerId)
        var topic = Topic.payments
        var messageKey: [UInt8]? = key
        var amount = flow.totalCents
        var currency = flow.currency
        var totalOffset: Int64 = 0
        var firstQuantity: Int64?
        var amountAsString = false
        var created = false

        switch reason {
        case .malformed:
            let valid = EventEncoder.encode(envelope) { writer in
                EventEncoder.writePayment(
                    &writer, type: .paymentCaptured, paymentId: "pay-bad", amountCents: amount, currency: currency)
            }
            let value: [UInt8] =
                variant == 0
                ? Array(valid.prefix(valid.count / 2))  // truncated JSON
                : Array(valid.prefix(15)) + [0xFF, 0xFE] + Array(valid.dropFirst(15))  // invalid UTF-8
            return GeneratedMessage(topic: .payments, key: key, value: value, kind: .invalid(reason))
        case .invalidField:
            if variant == 0 { envelope.customerId = nil } else { amountAsString = true }
        case .unknownEventType:
            envelope.eventType = "order.teleported"
            topic = .orders
        case .wrongTopic:
            envelope.eventType = EventType.orderCreated.rawValue
            created = true
            topic = .payments
        case .unsupportedVersion:
            envelope.schemaVersion = 2
        case .keyMismatch:
            messageKey = variant == 0 ? nil : Array((flow.orderId + "-other").utf8)
        case .invalidAmount:
            if variant == 0 {
                amount = -1
            } else {
                envelope.eventType = EventType.orderCreated.rawValue
                topic = .orders
                created = true
                firstQuantity = 0
            }
        case .invalidCurrency:
            currency = variant == 0 ? "eur" : "EURO"
        case .totalMismatch:
            envelope.eventType = EventType.orderCreated.rawValue
            topic = .orders
            created = true
            totalOffset = 1
        case .tooLarge, .applyFailed:
            break  // never generated (apply_failed is not a validation outcome)
        }

        let isCreated = created
        let value = EventEncoder.encode(envelope) { writer in
            if isCreated {
                var items = flow.items
                if let quantity = firstQuantity { items[0].quantity = quantity }
                EventEncoder.writeCreated(
                    &writer, items: items, totalCents: flow.totalCents + totalOffset, currency: currency)
            } else if amountAsString {
                writer.field("payment_id", "pay-bad")
                writer.field("amount_cents", String(amount))
                writer.field("currency", currency)
            } else {
                EventEncoder.writePayment(
                    &writer, type: .paymentCaptured, paymentId: "pay-bad", amountCents: amount, currency: currency)
            }
        }
        return GeneratedMessage(topic: topic, key: messageKey, value: value, kind: .invalid(reason))
    }
}
