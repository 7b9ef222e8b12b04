// A tiny Swift service publishing with OrderStreamPublisher.
//
//   PublisherExample [BROKERS]                one order's events, printing each delivery
//   PublisherExample BROKERS --bench FILE     every JSON line of FILE (the library's benchmark)
//
// Events of one order are awaited one after the other (so they stay in order); different
// orders go concurrently, in lanes by order_id, and the publisher's in-flight bound applies
// back-pressure.
import Foundation
import OrderStreamDomain
import OrderStreamPublisher

@main
struct PublisherExample {
    static func main() async throws {
        let arguments = CommandLine.arguments
        let brokers = arguments.count > 1 ? arguments[1] : "127.0.0.1:9092"
        let publisher = try EventPublisher(
            configuration: PublisherConfiguration(brokers: brokers, deliveryTimeout: .seconds(30)))

        if arguments.count > 3, arguments[2] == "--bench" {
            let text = try String(contentsOfFile: arguments[3], encoding: .utf8)
            let lanes = 1_024
            var work = [[OutgoingEvent]](repeating: [], count: lanes)
            var count = 0
            for line in text.split(separator: "\n") {
                let value = Array(line.utf8)
                guard let object = try? JSONParser.parse(value).objectValue,
                    let type = object["event_type"]?.stringValue.flatMap(EventType.init(rawValue:)),
                    let orderId = object["order_id"]?.stringValue
                else { continue }
                var hasher = Hasher()
                hasher.combine(orderId)
                work[Int(UInt(bitPattern: hasher.finalize()) % UInt(lanes))].append(
                    OutgoingEvent(topic: type.topic.rawValue, key: orderId, value: value))
                count += 1
            }
            try await publisher.prepare()
            let start = ContinuousClock.now
            let failures = await withTaskGroup(of: Int.self) { group in
                for lane in work {
                    group.addTask {
                        var failed = 0
                        for event in lane {
                            do { try await publisher.send(event) } catch { failed += 1 }
                        }
                        return failed
                    }
                }
                var total = 0
                for await failed in group { total += failed }
                return total
            }
            let seconds =
                Double((ContinuousClock.now - start).components.attoseconds) / 1e18
                + Double((ContinuousClock.now - start).components.seconds)
            await publisher.close()
            print(
                "library: \(count - failures) events delivered, \(failures) failed, in \(String(format: "%.2f", seconds)) s "
                    + "(\(Int(Double(count) / seconds)) events/s)")
            exit(failures == 0 ? 0 : 1)
        }

        let order = "ord-\(UUIDv7.generate().suffix(12))"
        let items = [
            LineItem(sku: "sku-1", quantity: 2, unitPriceCents: 1299),
            LineItem(sku: "sku-2", quantity: 1, unitPriceCents: 500),
        ]
        let events: [OutgoingEvent] = [
            .orderCreated(orderId: order, customerId: "cus-42", items: items, currency: "EUR"),
            .paymentAuthorized(
                orderId: order, customerId: "cus-42", paymentId: "pay-\(order)", amountCents: 3098, currency: "EUR",
                method: "card"),
            .paymentCaptured(
                orderId: order, customerId: "cus-42", paymentId: "pay-\(order)", amountCents: 3098, currency: "EUR"),
            .orderShipped(orderId: order, customerId: "cus-42", carrier: "dhl", trackingNumber: "TN123"),
        ]
        do {
            for event in events {
                let delivery = try await publisher.send(event)
                print("\(delivery.eventId) -> \(delivery.topic)[\(delivery.partition)]@\(delivery.offset)")
            }
            // A broken event is refused before anything is sent.
            _ = try await publisher.send(
                .paymentRefunded(orderId: order, customerId: "cus-42", paymentId: "p", amountCents: 1, currency: "eur"))
        } catch {
            print("refused: \(error)")
        }
        await publisher.close()
    }
}
