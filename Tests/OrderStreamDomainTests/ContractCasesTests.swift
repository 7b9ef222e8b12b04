import Foundation
import Testing

@testable import OrderStreamDomain

@Suite("Contract cases.jsonl")
struct ContractCasesTests {
    @Test("every case in cases.jsonl gets its expected outcome")
    func everyCase() throws {
        let cases = try ContractFiles.cases()
        #expect(cases.count >= 29)
        var checked = 0
        for contractCase in cases {
            let value: [UInt8]
            if let bytes = contractCase.value {
                value = bytes
            } else {
                // The one case too large to store: its `build` says how to make it.
                #expect(contractCase.expect == "too_large", "\(contractCase.name)")
                #expect(contractCase.build?.contains("data.note") == true)
                value = try Self.buildTooLarge()
            }
            let outcome = EventValidator.validate(topic: contractCase.topic, key: contractCase.key, value: value)
            switch outcome {
            case .valid:
                #expect(
                    contractCase.expect == "apply", "\(contractCase.name): applied, expected \(contractCase.expect)")
            case .rejected(let rejection):
                #expect(
                    contractCase.expect == rejection.reason.rawValue,
                    "\(contractCase.name): rejected as \(rejection), expected \(contractCase.expect)")
                #expect(!rejection.detail.isEmpty)
            }
            checked += 1
        }
        #expect(checked == cases.count)
    }

    /// order.created.json with data.note set to 1,048,576 'x' characters.
    static func buildTooLarge() throws -> [UInt8] {
        let base = try ContractFiles.example("order.created.json")
        var object = try #require(try JSONSerialization.jsonObject(with: Data(base)) as? [String: Any])
        var data = try #require(object["data"] as? [String: Any])
        data["note"] = String(repeating: "x", count: 1_048_576)
        object["data"] = data
        let bytes = [UInt8](try JSONSerialization.data(withJSONObject: object))
        #expect(bytes.count > EventValidator.maximumValueBytes)
        return bytes
    }

    @Test("the valid examples decode to the expected typed events")
    func typedExamples() throws {
        let created = try ContractFiles.example("order.created.json")
        let event = try #require(
            EventValidator.validate(topic: "orders", key: Array("ord-1001".utf8), value: created).event)
        #expect(event.eventType == .orderCreated)
        #expect(event.orderId == "ord-1001")
        #expect(event.customerId == "cus-42")
        #expect(event.occurredAtMicros == RFC3339.parseMicros("2026-11-26T12:00:00Z"))
        #expect(
            event.payload
                == .orderCreated(
                    items: [
                        LineItem(sku: "sku-1", quantity: 2, unitPriceCents: 1299),
                        LineItem(sku: "sku-2", quantity: 1, unitPriceCents: 500),
                    ],
                    totalCents: 3098, currency: "EUR"))
        let failed = try ContractFiles.example("payment.failed.json")
        let payment = try #require(
            EventValidator.validate(topic: "payments", key: Array("ord-1001".utf8), value: failed).event?.payment)
        #expect(
            payment
                == PaymentFacts(paymentId: "pay-0", amountCents: 3098, currency: "EUR", failureCode: "card_declined"))
    }
}
