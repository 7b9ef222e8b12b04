import Testing

@testable import OrderStreamDomain

/// The rules that keep PostgreSQL from refusing an accepted event: the numeric bounds of
/// `ContractLimits` (exactly at the bound passes, one over fails) and no U+0000 in any string.
@Suite("Contract limits and NUL")
struct ContractLimitsTests {
    let bound = ContractLimits.maximumCents
    let quantityBound = ContractLimits.maximumQuantity

    func created(quantity: Int64, price: Int64, total: Int64) -> [UInt8] {
        eventJSON(
            data:
                #"{"items":[{"sku":"a","quantity":\#(quantity),"unit_price_cents":\#(price)}],"total_cents":\#(total),"currency":"EUR"}"#
        )
    }

    func payment(amount: Int64) -> [UInt8] {
        eventJSON(type: "\"payment.captured\"", data: #"{"payment_id":"p","amount_cents":\#(amount),"currency":"EUR"}"#)
    }

    func rejection(_ value: [UInt8], on topic: String = "orders") -> Rejection? {
        EventValidator.validate(topic: topic, key: Array("ord-1".utf8), value: value).rejection
    }

    @Test("the bounds are 10^12 cents and 10^6 items, and the validator's limits come from ContractLimits")
    func constants() {
        #expect(ContractLimits.maximumCents == 1_000_000_000_000)
        #expect(ContractLimits.maximumQuantity == 1_000_000)
        #expect(EventValidator.maximumValueBytes == ContractLimits.maximumValueBytes)
        #expect(EventValidator.maximumIdLength == ContractLimits.maximumIdLength)
        // A line at both bounds fits Int64 with room to spare, so only sums can overflow.
        #expect(
            ContractLimits.maximumQuantity.multipliedReportingOverflow(by: ContractLimits.maximumCents).overflow
                == false)
    }

    @Test("amount_cents: 10^12 passes, 10^12+1 is invalid_amount naming the field and the bound")
    func amountCents() throws {
        #expect(reason("payments", payment(amount: bound)) == "apply")
        #expect(reason("payments", payment(amount: 0)) == "apply")
        let over = try #require(rejection(payment(amount: bound + 1), on: "payments"))
        #expect(over.reason == .invalidAmount)
        #expect(over.detail == "data.amount_cents must be <= 1000000000000, got 1000000000001")
        #expect(reason("payments", payment(amount: .max)) == "invalid_amount")
        #expect(rejection(payment(amount: -1), on: "payments")?.detail == "data.amount_cents must be >= 0, got -1")
    }

    @Test("unit_price_cents: 10^12 passes, 10^12+1 is invalid_amount")
    func unitPrice() throws {
        #expect(reason(created(quantity: 1, price: bound, total: bound)) == "apply")
        let over = try #require(rejection(created(quantity: 1, price: bound + 1, total: bound + 1)))
        #expect(over.reason == .invalidAmount)
        #expect(over.detail == "data.items[0].unit_price_cents must be <= 1000000000000, got 1000000000001")
    }

    @Test("quantity: 10^6 passes, 10^6+1 is invalid_amount")
    func quantity() throws {
        #expect(reason(created(quantity: quantityBound, price: 1, total: quantityBound)) == "apply")
        let over = try #require(rejection(created(quantity: quantityBound + 1, price: 1, total: quantityBound + 1)))
        #expect(over.reason == .invalidAmount)
        #expect(over.detail == "data.items[0].quantity must be <= 1000000, got 1000001")
        #expect(
            rejection(created(quantity: 0, price: 1, total: 0))?.detail == "data.items[0].quantity must be >= 1, got 0")
    }

    @Test("total_cents: 10^12 passes, 10^12+1 is invalid_amount even when the items sum to it")
    func totalCents() throws {
        #expect(reason(created(quantity: quantityBound, price: quantityBound, total: bound)) == "apply")
        let value = eventJSON(
            data:
                #"{"items":[{"sku":"a","quantity":1,"unit_price_cents":\#(bound)},{"sku":"b","quantity":1,"unit_price_cents":1}],"total_cents":\#(bound + 1),"currency":"EUR"}"#
        )
        let over = try #require(rejection(value))
        #expect(over.reason == .invalidAmount)
        #expect(over.detail == "data.total_cents must be <= 1000000000000, got 1000000000001")
        // A line item at the bounds (10^18) sums past 10^12: a mismatch, not an amount error.
        #expect(reason(created(quantity: quantityBound, price: bound, total: bound)) == "total_mismatch")
        // Negative totals stay a total_mismatch (the sum of valid items is never negative).
        #expect(reason(created(quantity: 1, price: 1, total: -1)) == "total_mismatch")
    }

    @Test("bounds keep the contract order: invalid_amount after key_mismatch, before invalid_currency")
    func order() {
        #expect(reason(key: "other", created(quantity: 1, price: bound + 1, total: 0)) == "key_mismatch")
        let badCurrency = eventJSON(
            data:
                #"{"items":[{"sku":"a","quantity":\#(quantityBound + 1),"unit_price_cents":1}],"total_cents":0,"currency":"eur"}"#
        )
        #expect(reason(badCurrency) == "invalid_amount")
        // The first item out of range names the message, before the total is looked at.
        let value = eventJSON(
            data:
                #"{"items":[{"sku":"a","quantity":1,"unit_price_cents":1},{"sku":"b","quantity":1,"unit_price_cents":\#(bound + 1)}],"total_cents":\#(bound + 7),"currency":"EUR"}"#
        )
        #expect(rejection(value)?.detail.hasPrefix("data.items[1].unit_price_cents") == true)
    }

    @Test("the items sum is overflow-checked: no trap, a total_mismatch")
    func sumOverflow() throws {
        let line = #"{"sku":"a","quantity":\#(quantityBound),"unit_price_cents":\#(bound)}"#
        for count in [9, 10, 100] {
            let items = Array(repeating: line, count: count).joined(separator: ",")
            let value = eventJSON(data: #"{"items":[\#(items)],"total_cents":\#(bound),"currency":"EUR"}"#)
            let mismatch = try #require(rejection(value))
            #expect(mismatch.reason == .totalMismatch)
            #expect(mismatch.detail.contains("overflows") == (count >= 10), "\(count) items: \(mismatch.detail)")
        }
    }

    @Test(
        "U+0000 in any contract string is invalid_field naming the field",
        arguments: [
            ("event_id", eventJSON(eventId: #""e\u0000""#)),
            ("order_id", eventJSON(orderId: #""ord-1\u0000""#)),
            ("customer_id", eventJSON(customerId: #""\u0000""#)),
            ("occurred_at", eventJSON(occurredAt: #""2026-11-26T12:00:00Z\u0000""#)),
            (
                "data.items[1].sku",
                eventJSON(
                    data:
                        #"{"items":[{"sku":"a","quantity":1,"unit_price_cents":1},{"sku":"b\u0000","quantity":1,"unit_price_cents":1}],"total_cents":2,"currency":"EUR"}"#
                )
            ),
            (
                "data.currency",
                eventJSON(
                    data:
                        #"{"items":[{"sku":"a","quantity":1,"unit_price_cents":1}],"total_cents":1,"currency":"EU\u0000"}"#
                )
            ),
            ("data.reason", eventJSON(type: "\"order.cancelled\"", data: #"{"reason":"\u0000"}"#)),
            (
                "data.carrier",
                eventJSON(type: "\"order.shipped\"", data: #"{"carrier":"d\u0000hl","tracking_number":"t"}"#)
            ),
            (
                "data.tracking_number",
                eventJSON(type: "\"order.shipped\"", data: #"{"carrier":"dhl","tracking_number":"\u0000"}"#)
            ),
        ])
    func nulOnOrders(field: String, value: [UInt8]) throws {
        let rejected = try #require(rejection(value))
        #expect(rejected.reason == .invalidField)
        #expect(rejected.detail == "\(field) must not contain the NUL character (U+0000)")
    }

    @Test(
        "U+0000 in payment strings is invalid_field naming the field",
        arguments: [
            ("data.payment_id", "payment.captured", #"{"payment_id":"p\u0000","amount_cents":1,"currency":"EUR"}"#),
            ("data.currency", "payment.refunded", #"{"payment_id":"p","amount_cents":1,"currency":"\u0000UR"}"#),
            (
                "data.method", "payment.authorized",
                #"{"payment_id":"p","amount_cents":1,"currency":"EUR","method":"card\u0000"}"#
            ),
            (
                "data.failure_code", "payment.failed",
                #"{"payment_id":"p","amount_cents":1,"currency":"EUR","failure_code":"\u0000"}"#
            ),
        ])
    func nulOnPayments(field: String, type: String, data: String) throws {
        let rejected = try #require(rejection(eventJSON(type: "\"\(type)\"", data: data), on: "payments"))
        #expect(rejected.reason == .invalidField)
        #expect(rejected.detail == "\(field) must not contain the NUL character (U+0000)")
    }

    @Test("NUL elsewhere: unknown fields are ignored, a NUL event_type is unknown, U+0001 is fine")
    func nulElsewhere() {
        #expect(reason(Array(#"{"note":"a\u0000b","#.utf8) + eventJSON().dropFirst()) == "apply")
        #expect(
            reason(
                eventJSON(
                    data:
                        #"{"items":[{"sku":"a","quantity":2,"unit_price_cents":100,"x":"\u0000"}],"total_cents":200,"currency":"EUR"}"#
                )) == "apply")
        #expect(reason(eventJSON(type: #""order.created\u0000""#)) == "unknown_event_type")
        #expect(reason(eventJSON(customerId: #""c\u0001""#)) == "apply")
        // A raw NUL byte is an unescaped control character: malformed JSON.
        #expect(reason(Array(#"{"customer_id":""#.utf8) + [0] + Array(#""}"#.utf8)) == "malformed")
    }

    @Test("lone surrogate escapes are malformed; accepted JSON is valid UTF-8")
    func surrogates() {
        #expect(reason(eventJSON(customerId: #""\ud800""#)) == "malformed")
        #expect(reason(eventJSON(customerId: #""\udfff""#)) == "malformed")
        #expect(reason(eventJSON(customerId: #""\ud800\ud800""#)) == "malformed")
        #expect(reason(eventJSON(customerId: #""\ud83d\ude00""#)) == "apply")
        // Every string the parser hands out re-encodes to valid UTF-8 equal to the escape's scalar.
        let parsed = try? JSONParser.parse(#""\ud83d\ude00\u00e9\uffff""#)
        #expect(parsed == .string("\u{1F600}\u{E9}\u{FFFF}"))
    }

    @Test("every validation reason code keeps at least one case in cases.jsonl")
    func everyReasonHasACase() throws {
        let expected = Set(try ContractFiles.cases().map(\.expect))
        for reason in RejectionReason.validationOrder {
            #expect(expected.contains(reason.rawValue), "no case expects \(reason.rawValue)")
        }
        #expect(expected.contains("apply"))
    }
}
