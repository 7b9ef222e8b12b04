import Foundation
import OrderStreamDomain
import OrderStreamLoadGen
import OrderStreamTestSupport
import Testing

@testable import OrderStreamApp

/// The benchmark's raw path applies `loadgen --dump-valid` rows: they must be exactly the events
/// the worker applies (the reference model's applied events), mapped like `ApplyParameters`.
@Suite("ValidEventDump")
struct ValidEventDumpTests {
    let start = Int64(1_795_694_400) * 1_000_000 + 12_345

    @Test func theDumpHoldsExactlyTheReferenceModelsAppliedEvents() throws {
        let generator = LoadGenerator(orders: 300, duplicates: 0.1, invalid: 0.05, seed: 7, startMicros: start)
        var model = ReferenceModel()
        var expected: [String] = []
        for message in generator {
            if case .applied(let event) = model.apply(
                topic: message.topic.rawValue, key: message.key, value: message.value)
            {
                expected.append(ValidEventDump.line(event, topic: message.topic.rawValue))
            }
        }
        var lines: [String] = []
        let summary = try ValidEventDump.dump(generator) { lines.append($0) }

        #expect(lines == expected)
        #expect(Int64(lines.count) == model.kpis().eventsApplied)
        #expect(summary.valid == lines.count)
        #expect(summary.duplicates > 0 && Int64(summary.duplicates) == model.eventsDuplicate)
        #expect(summary.invalid > 0 && Int64(summary.invalid) == model.eventsRejected)
        #expect(summary.messages == summary.valid + summary.duplicates + summary.invalid)
        #expect(Set(lines.map { $0.split(separator: "\t")[0] }).count == lines.count, "event ids are distinct")
    }

    @Test func columnsAreMappedLikeApplyParameters() throws {
        let created = Event(
            eventId: "e1", eventType: .orderCreated, occurredAtMicros: 120_000_001, orderId: "o1",
            customerId: "c1", payload: .orderCreated(items: [], totalCents: 1_500, currency: "EUR"))
        #expect(
            ValidEventDump.line(created, topic: "orders")
                == "e1\torder.created\to1\tc1\t120000001\t120000000\t\\N\t1500\tEUR\torders\n")

        let captured = Event(
            eventId: "e2", eventType: .paymentCaptured, occurredAtMicros: -1, orderId: "o1", customerId: "c1",
            payload: .payment(PaymentFacts(paymentId: "p1", amountCents: 1_500, currency: "EUR")))
        #expect(
            ValidEventDump.line(captured, topic: "payments")
                == "e2\tpayment.captured\to1\tc1\t-1\t-60000000\tp1\t1500\tEUR\tpayments\n")

        let shipped = Event(
            eventId: "a\\b\tc", eventType: .orderShipped, occurredAtMicros: 60_000_000, orderId: "o\n1",
            customerId: "c\r1", payload: .orderShipped(carrier: "dhl", trackingNumber: "t"))
        #expect(
            ValidEventDump.line(shipped, topic: "orders")
                == "a\\\\b\\tc\torder.shipped\to\\n1\tc\\r1\t60000000\t60000000\t\\N\t\\N\t\\N\torders\n")
    }

    @Test func aFileDumpEqualsTheLines() throws {
        let generator = LoadGenerator(orders: 50, duplicates: 0.2, invalid: 0.1, seed: 3, startMicros: start)
        var lines = ""
        _ = try ValidEventDump.dump(generator) { lines += $0 }
        let path = NSTemporaryDirectory() + "/valid-dump-\(UUID().uuidString.prefix(8)).tsv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let summary = try ValidEventDump.dump(generator, toFile: path)
        let written = try String(contentsOfFile: path, encoding: .utf8)
        #expect(written == lines)
        #expect(written.split(separator: "\n").count == summary.valid)
    }
}
