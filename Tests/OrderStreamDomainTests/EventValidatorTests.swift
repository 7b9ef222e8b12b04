import OrderStreamLoadGen
import Testing

@testable import OrderStreamDomain

/// Builds an event text from parts, so each test changes one thing.
func eventJSON(
    eventId: String = "\"e-1\"", type: String = "\"order.created\"", version: String? = "1",
    occurredAt: String = "\"2026-11-26T12:00:00.000Z\"", orderId: String = "\"ord-1\"",
    customerId: String? = "\"cus-1\"",
    data: String = #"{"items":[{"sku":"a","quantity":2,"unit_price_cents":100}],"total_cents":200,"currency":"EUR"}"#
) -> [UInt8] {
    var members = ["\"event_id\":\(eventId)", "\"event_type\":\(type)"]
    if let version { members.append("\"schema_version\":\(version)") }
    members.append("\"occurred_at\":\(occurredAt)")
    members.append("\"order_id\":\(orderId)")
    if let customerId { members.append("\"customer_id\":\(customerId)") }
    members.append("\"data\":\(data)")
    return Array(("{" + members.joined(separator: ",") + "}").utf8)
}

func reason(_ value: [UInt8]) -> String { reason("orders", key: "ord-1", value) }
func reason(key: String?, _ value: [UInt8]) -> String { reason("orders", key: key, value) }
func reason(_ topic: String, _ value: [UInt8]) -> String { reason(topic, key: "ord-1", value) }

/// The verdict on one message as its wire code, or "apply".
func reason(_ topic: String, key: String?, _ value: [UInt8]) -> String {
    switch EventValidator.validate(topic: topic, key: key.map { Array($0.utf8) }, value: value) {
    case .valid: return "apply"
    case .rejected(let rejection): return rejection.reason.rawValue
    }
}

@Suite("EventValidator")
struct EventValidatorTests {
    @Test func baselineIsValid() {
        #expect(reason(eventJSON()) == "apply")
    }

    @Test("schema_version: anything but the integer 1 is unsupported; missing is invalid_field")
    func schemaVersion() {
        for version in ["2", "\"1\"", "1.0", "1e0", "null", "true", "0", "-1", "[1]"] {
            #expect(reason(eventJSON(version: version)) == "unsupported_version", "\(version)")
        }
        #expect(reason(eventJSON(version: nil)) == "invalid_field")
        // unsupported_version wins over everything after it.
        #expect(
            reason("nowhere", key: nil, eventJSON(type: "\"nope\"", version: "2", customerId: nil))
                == "unsupported_version")
    }

    @Test("event_type: unknown string, missing or not a string")
    func eventType() {
        #expect(reason(eventJSON(type: "\"order.teleported\"")) == "unknown_event_type")
        #expect(reason(eventJSON(type: "\"ORDER.CREATED\"")) == "unknown_event_type")
        #expect(reason(eventJSON(type: "5")) == "invalid_field")
        #expect(reason(Array(#"{"event_id":"e","schema_version":1}"#.utf8)) == "invalid_field")
        // unknown_event_type wins over wrong_topic and invalid_field.
        #expect(reason("nowhere", eventJSON(type: "\"x\"", customerId: nil)) == "unknown_event_type")
    }

    @Test("wrong_topic: a known type on the other topic, or an unknown topic")
    func wrongTopic() {
        #expect(reason("payments", eventJSON()) == "wrong_topic")
        #expect(reason("orders.dlq", eventJSON()) == "wrong_topic")
        #expect(
            reason(
                "orders",
                eventJSON(type: "\"payment.captured\"", data: #"{"payment_id":"p","amount_cents":1,"currency":"EUR"}"#))
                == "wrong_topic")
        // wrong_topic wins over invalid_field and key_mismatch.
        #expect(reason("payments", key: nil, eventJSON(customerId: nil)) == "wrong_topic")
    }

    @Test("ids: 1-64 Unicode scalars, strings only")
    func ids() {
        #expect(reason(eventJSON(eventId: "\"\"")) == "invalid_field")
        #expect(reason(eventJSON(eventId: "\"" + String(repeating: "é", count: 64) + "\"")) == "apply")
        #expect(reason(eventJSON(eventId: "\"" + String(repeating: "é", count: 65) + "\"")) == "invalid_field")
        #expect(reason(eventJSON(eventId: "12")) == "invalid_field")
        #expect(reason(eventJSON(customerId: "null")) == "invalid_field")
        #expect(reason(eventJSON(orderId: "\"\"")) == "invalid_field")
    }

    @Test("occurred_at must be RFC 3339 with a zone")
    func occurredAt() {
        #expect(reason(eventJSON(occurredAt: "\"2026-11-26T13:00:00+01:00\"")) == "apply")
        #expect(reason(eventJSON(occurredAt: "\"2026-02-30T12:00:00Z\"")) == "invalid_field")
        #expect(reason(eventJSON(occurredAt: "\"2026-11-26 12:00:00Z\"")) == "invalid_field")
        #expect(reason(eventJSON(occurredAt: "1764158400")) == "invalid_field")
    }

    @Test("the invalid_field detail names the field path")
    func detailPath() throws {
        let value = eventJSON(
            data:
                #"{"items":[{"sku":"a","quantity":1,"unit_price_cents":100},{"sku":"b","quantity":"2","unit_price_cents":1}],"total_cents":102,"currency":"EUR"}"#
        )
        let rejection = try #require(
            EventValidator.validate(topic: "orders", key: Array("ord-1".utf8), value: value).rejection)
        #expect(rejection.reason == .invalidField)
        #expect(rejection.detail.hasPrefix("data.items[1].quantity must be an integer"))
    }

    @Test("per-type data fields and their JSON types")
    func dataFields() {
        #expect(reason(eventJSON(data: #"{"items":{},"total_cents":0,"currency":"EUR"}"#)) == "invalid_field")
        #expect(reason(eventJSON(data: #"{"items":[1],"total_cents":0,"currency":"EUR"}"#)) == "invalid_field")
        #expect(
            reason(
                eventJSON(
                    data: #"{"items":[{"sku":"a","quantity":2,"unit_price_cents":100}],"total_cents":200,"currency":1}"#
                )) == "invalid_field")
        #expect(reason(eventJSON(data: "[]")) == "invalid_field")
        #expect(reason(eventJSON(type: "\"order.cancelled\"", data: "{}")) == "invalid_field")
        #expect(reason(eventJSON(type: "\"order.cancelled\"", data: #"{"reason":""}"#)) == "apply")
        #expect(reason(eventJSON(type: "\"order.shipped\"", data: #"{"carrier":"dhl"}"#)) == "invalid_field")
        #expect(
            reason(
                "payments",
                eventJSON(
                    type: "\"payment.authorized\"", data: #"{"payment_id":"p","amount_cents":1,"currency":"EUR"}"#))
                == "invalid_field")
        #expect(
            reason(
                "payments",
                eventJSON(
                    type: "\"payment.authorized\"",
                    data: #"{"payment_id":"p","amount_cents":1,"currency":"EUR","method":"card"}"#)) == "apply")
        #expect(
            reason(
                "payments",
                eventJSON(type: "\"payment.failed\"", data: #"{"payment_id":"p","amount_cents":1,"currency":"EUR"}"#))
                == "invalid_field")
        #expect(
            reason(
                "payments",
                eventJSON(type: "\"payment.refunded\"", data: #"{"payment_id":"","amount_cents":1,"currency":"EUR"}"#))
                == "invalid_field")
        #expect(
            reason(
                "payments",
                eventJSON(
                    type: "\"payment.refunded\"",
                    data: #"{"payment_id":"p","amount_cents":99999999999999999999,"currency":"EUR"}"#))
                == "invalid_field")
    }

    @Test("key_mismatch comes after invalid_field and before invalid_amount")
    func keyOrder() {
        #expect(reason(key: nil, eventJSON(customerId: nil)) == "invalid_field")
        #expect(
            reason(key: "ord-2", eventJSON(data: #"{"items":[],"total_cents":0,"currency":"eur"}"#)) == "key_mismatch")
        #expect(reason(key: "", eventJSON()) == "key_mismatch")
    }

    @Test("invalid_amount, then invalid_currency, then total_mismatch")
    func amountCurrencyTotal() {
        #expect(
            reason(
                eventJSON(
                    data:
                        #"{"items":[{"sku":"a","quantity":2,"unit_price_cents":-1}],"total_cents":5,"currency":"eur"}"#)
            ) == "invalid_amount")
        #expect(
            reason(
                eventJSON(
                    data:
                        #"{"items":[{"sku":"a","quantity":-3,"unit_price_cents":1}],"total_cents":-3,"currency":"EUR"}"#
                )) == "invalid_amount")
        #expect(
            reason(
                eventJSON(
                    data:
                        #"{"items":[{"sku":"a","quantity":2,"unit_price_cents":100}],"total_cents":5,"currency":"Eur"}"#
                )) == "invalid_currency")
        for currency in ["\"EU\"", "\"EURO\"", "\"E1R\"", "\"ÉUR\"", "\"\""] {
            #expect(
                reason(
                    eventJSON(
                        data:
                            #"{"items":[{"sku":"a","quantity":2,"unit_price_cents":100}],"total_cents":200,"currency":"#
                            + currency + "}")) == "invalid_currency", "\(currency)")
        }
        #expect(
            reason(
                "payments",
                eventJSON(type: "\"payment.captured\"", data: #"{"payment_id":"p","amount_cents":0,"currency":"usd"}"#))
                == "invalid_currency")
        #expect(
            reason(
                eventJSON(
                    data:
                        #"{"items":[{"sku":"a","quantity":2,"unit_price_cents":100}],"total_cents":-200,"currency":"EUR"}"#
                )) == "total_mismatch")
        #expect(
            reason(
                eventJSON(
                    data: #"{"items":[{"sku":"a","quantity":2,"unit_price_cents":0}],"total_cents":0,"currency":"EUR"}"#
                )) == "apply")
    }

    @Test("overflowing totals are a mismatch, never a trap")
    func overflow() {
        // Ten lines at the bounds (10^6 * 10^12 = 10^18 each) sum past Int64.max.
        let line = #"{"sku":"a","quantity":1000000,"unit_price_cents":1000000000000}"#
        let ten = Array(repeating: line, count: 10).joined(separator: ",")
        #expect(
            reason(eventJSON(data: #"{"items":["# + ten + #"],"total_cents":0,"currency":"EUR"}"#)) == "total_mismatch")
        #expect(
            reason(eventJSON(data: #"{"items":["# + ten + #"],"total_cents":1000000000000,"currency":"EUR"}"#))
                == "total_mismatch")
        // Values beyond the bounds (up to Int64.max) are invalid_amount before any sum is taken.
        let big = "9223372036854775807"
        #expect(
            reason(
                eventJSON(
                    data: #"{"items":[{"sku":"a","quantity":2,"unit_price_cents":"# + big
                        + #"}],"total_cents":0,"currency":"EUR"}"#)) == "invalid_amount")
        #expect(
            reason(
                eventJSON(
                    data: #"{"items":[{"sku":"a","quantity":"# + big + #","unit_price_cents":"# + big
                        + #"}],"total_cents":"# + big + #","currency":"EUR"}"#)) == "invalid_amount")
    }

    @Test("unknown fields are ignored, duplicate keys: last wins")
    func extrasAndDuplicates() {
        #expect(reason(Array(#"{"x":{"y":[1,2,{"z":null}]},"#.utf8) + eventJSON().dropFirst()) == "apply")
        // A duplicated schema_version: the last one (2) decides.
        #expect(
            reason(Array(#"{"schema_version":1,"#.utf8) + eventJSON(version: "2").dropFirst()) == "unsupported_version")
    }

    @Test("too_large is checked before anything else, by byte count")
    func tooLarge() {
        let garbage = [UInt8](repeating: 0xFF, count: EventValidator.maximumValueBytes + 1)
        #expect(reason("nowhere", key: nil, garbage) == "too_large")
        let exactly = [UInt8](repeating: 0x20, count: EventValidator.maximumValueBytes - 2) + Array("[]".utf8)
        #expect(reason(exactly) == "malformed")
    }

    @Test("random mutations of a valid event never crash and always yield a verdict")
    func fuzz() {
        var rng = SplitMix64(seed: 42)
        let base = eventJSON()
        var verdicts: Set<String> = []
        for _ in 0..<20_000 {
            var bytes = base
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let position = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes[position] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bytes.remove(at: position)
                default: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: position)
                }
            }
            verdicts.insert(reason(bytes))
        }
        #expect(verdicts.contains("malformed"))
        #expect(verdicts.contains("apply"))
        #expect(verdicts.count >= 4)
    }
}
