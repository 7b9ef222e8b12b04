/// The properties every input must keep through `JSONParser` and `EventValidator`, as one
/// checkable function.
///
/// Exists so the libFuzzer target (`Fuzz/OrderStreamFuzz`) and the regression tests over the
/// committed corpus (`FuzzRegressionTests`) check exactly the same thing. The input is taken
/// as a Kafka value and validated on both topics with the key a producer would send (the
/// value's `order_id`, when it parses to one) and once without a key. For each verdict:
/// - a rejection carries one of the validator's reason codes (`RejectionReason.validationOrder`)
///   and a non-empty detail without U+0000, and `malformed` is given exactly when the parser
///   refuses the value (or it is not an object);
/// - an accepted event is on its type's topic, keyed by its `order_id`, holds no U+0000 in any
///   string, has ids of 1-64 scalars, amounts within `ContractLimits`, a 3-letter currency and
///   items summing to `total_cents`; validating the same message again gives the same event.
/// Whatever the parser accepts must be valid UTF-8, and `JSONWriter` output of the parsed value
/// must parse back to the same value.
public enum ValidatorInvariant {
    /// The first broken property for `value`, or nil when every property holds.
    public static func violation(in value: [UInt8]) -> String? {
        let parsed: JSONValue?
        if value.count > ContractLimits.maximumValueBytes {
            parsed = nil
        } else {
            do throws(JSONParseError) {
                parsed = try JSONParser.parse(value)
            } catch {
                parsed = nil
            }
        }
        if let parsed, let problem = parserViolation(value, parsed) { return problem }

        var key: [UInt8]?
        if case .object(let members)? = parsed, case .string(let orderId)? = members["order_id"] {
            key = Array(orderId.utf8)
        } else {
            key = Array(value.prefix(8))
        }
        let messages: [(Topic, [UInt8]?)] = [(.orders, key), (.payments, key), (.orders, nil)]
        for (topic, messageKey) in messages {
            let outcome = EventValidator.validate(topic: topic.rawValue, key: messageKey, value: value)
            let problem: String?
            switch outcome {
            case .rejected(let rejection):
                problem = rejectionViolation(rejection, value: value, parsed: parsed)
            case .valid(let event):
                problem =
                    eventViolation(event, topic: topic, key: messageKey)
                    ?? (EventValidator.validate(topic: topic.rawValue, key: messageKey, value: value) == outcome
                        ? nil : "validating the same message twice gave different outcomes")
            }
            if let problem { return "\(topic.rawValue), key \(messageKey == nil ? "absent" : "present"): \(problem)" }
        }
        return nil
    }

    private static func parserViolation(_ value: [UInt8], _ parsed: JSONValue) -> String? {
        if String(validating: value, as: UTF8.self) == nil {
            return "the parser accepted bytes that are not valid UTF-8"
        }
        var writer = JSONWriter()
        writer.value(parsed)
        do throws(JSONParseError) {
            if try JSONParser.parse(writer.bytes) != parsed {
                return "JSONWriter output parses back to a different value"
            }
        } catch {
            return "JSONWriter output does not parse: \(error)"
        }
        return nil
    }

    private static func rejectionViolation(_ rejection: Rejection, value: [UInt8], parsed: JSONValue?) -> String? {
        if !RejectionReason.validationOrder.contains(rejection.reason) {
            return "reason \(rejection.reason.rawValue) is not one of the validator's contract codes"
        }
        if rejection.detail.isEmpty { return "\(rejection.reason.rawValue) without a detail" }
        if rejection.detail.utf8.contains(0) { return "\(rejection.reason.rawValue) detail contains U+0000" }
        if value.count > ContractLimits.maximumValueBytes {
            return rejection.reason == .tooLarge ? nil : "an oversized value rejected as \(rejection.reason.rawValue)"
        }
        let isObject: Bool
        if case .object? = parsed { isObject = true } else { isObject = false }
        if isObject == (rejection.reason == .malformed) {
            return isObject
                ? "a JSON object rejected as malformed: \(rejection.detail)"
                : "a value that is not a JSON object rejected as \(rejection.reason.rawValue)"
        }
        return nil
    }

    private static func eventViolation(_ event: Event, topic: Topic, key: [UInt8]?) -> String? {
        if event.eventType.topic != topic { return "\(event.eventType.rawValue) accepted on \(topic.rawValue)" }
        guard let key, key.elementsEqual(event.orderId.utf8) else { return "accepted with a key other than order_id" }
        var ids = [event.eventId, event.orderId, event.customerId]
        var texts: [String] = []
        var amounts: [Int64] = []
        switch event.payload {
        case .orderCreated(let items, let total, let currency):
            if items.isEmpty { return "order.created accepted without items" }
            var sum: Int64 = 0
            for item in items {
                texts.append(item.sku)
                if !(1...ContractLimits.maximumQuantity).contains(item.quantity) {
                    return "quantity \(item.quantity) accepted"
                }
                amounts.append(item.unitPriceCents)
                let (line, o1) = item.quantity.multipliedReportingOverflow(by: item.unitPriceCents)
                let (next, o2) = sum.addingReportingOverflow(line)
                if o1 || o2 { return "accepted items whose sum overflows" }
                sum = next
            }
            if sum != total { return "total_cents \(total) accepted for items summing to \(sum)" }
            amounts.append(total)
            texts.append(currency)
        case .orderCancelled(let reason):
            texts.append(reason)
        case .orderShipped(let carrier, let trackingNumber):
            texts += [carrier, trackingNumber]
        case .payment(let facts):
            ids.append(facts.paymentId)
            amounts.append(facts.amountCents)
            texts.append(facts.currency)
            if let method = facts.method { texts.append(method) }
            if let failureCode = facts.failureCode { texts.append(failureCode) }
            if (event.eventType == .paymentAuthorized) != (facts.method != nil) {
                return "method present iff payment.authorized broken"
            }
            if (event.eventType == .paymentFailed) != (facts.failureCode != nil) {
                return "failure_code present iff payment.failed broken"
            }
        }
        for id in ids where !(1...ContractLimits.maximumIdLength).contains(id.unicodeScalars.count) {
            return "an id of \(id.unicodeScalars.count) scalars accepted"
        }
        for text in ids + texts where text.utf8.contains(0) {
            return "a string with U+0000 accepted"
        }
        for amount in amounts where !(0...ContractLimits.maximumCents).contains(amount) {
            return "amount \(amount) accepted"
        }
        if case .orderCreated(_, _, let currency) = event.payload, !EventValidator.isCurrencyCode(currency) {
            return "currency accepted that is not 3 upper-case letters"
        }
        if case .payment(let facts) = event.payload, !EventValidator.isCurrencyCode(facts.currency) {
            return "currency accepted that is not 3 upper-case letters"
        }
        return nil
    }
}
