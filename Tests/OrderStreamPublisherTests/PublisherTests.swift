import Foundation
import Kafka
import OrderStreamDomain
import OrderStreamPublisher
import OrderStreamTestSupport
import Testing

/// The publishing library against the embedded broker over TCP: the contract is enforced before
/// anything is sent, sends fail within their bound, close flushes, in-flight is bounded.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct PublisherTests {
    static let items = [
        LineItem(sku: "sku-1", quantity: 2, unitPriceCents: 1299),
        LineItem(sku: "sku-2", quantity: 1, unitPriceCents: 500),
    ]
    static let valid =
        #"{"event_id":"e-1","event_type":"order.cancelled","schema_version":1,"occurred_at":"2026-11-26T12:00:00Z","order_id":"ord-1","customer_id":"cus-1","data":{"reason":"r"}}"#

    /// One bad input per reason code of the validator, and what `send` must throw.
    static let badInputs: [(OutgoingEvent, RejectionReason, String)] = [
        (
            OutgoingEvent(
                topic: "orders", key: "ord-1",
                value: Array(("{\"pad\":\"" + String(repeating: "x", count: 1_048_576) + "\"}").utf8)), .tooLarge,
            "value"
        ),
        (OutgoingEvent(topic: "orders", key: "ord-1", value: Array("{\"event_id\":".utf8)), .malformed, "value"),
        (
            OutgoingEvent(
                topic: "orders", key: "ord-1",
                value: Array(valid.replacingOccurrences(of: #""schema_version":1"#, with: #""schema_version":2"#).utf8)),
            .unsupportedVersion, "schema_version"
        ),
        (
            OutgoingEvent(
                topic: "orders", key: "ord-1",
                value: Array(valid.replacingOccurrences(of: "order.cancelled", with: "order.teleported").utf8)),
            .unknownEventType, "event_type"
        ),
        (OutgoingEvent(topic: "payments", key: "ord-1", value: Array(valid.utf8)), .wrongTopic, "event_type"),
        (.orderCancelled(orderId: "", customerId: "cus-1", reason: "r"), .invalidField, "order_id"),
        (
            .orderShipped(
                orderId: "ord-1", customerId: String(repeating: "c", count: 65), carrier: "dhl", trackingNumber: "1"),
            .invalidField, "customer_id"
        ),
        (OutgoingEvent(topic: "orders", key: "ord-2", value: Array(valid.utf8)), .keyMismatch, "order_id"),
        (
            .orderCreated(
                orderId: "ord-1", customerId: "cus-1", items: [LineItem(sku: "s", quantity: 0, unitPriceCents: 1)],
                currency: "EUR"), .invalidAmount, "data.items[0].quantity"
        ),
        (
            .paymentCaptured(orderId: "ord-1", customerId: "cus-1", paymentId: "p", amountCents: -1, currency: "EUR"),
            .invalidAmount, "data.amount_cents"
        ),
        (
            .paymentAuthorized(
                orderId: "ord-1", customerId: "cus-1", paymentId: "p", amountCents: 1, currency: "eur", method: "card"),
            .invalidCurrency, "data.currency"
        ),
        (
            .orderCreated(orderId: "ord-1", customerId: "cus-1", items: items, currency: "EUR", totalCents: 3099),
            .totalMismatch, "data.total_cents"
        ),
    ]

    @Test func everyReasonCodeIsThrownAndNothingReachesTheWire() async throws {
        #expect(Set(Self.badInputs.map(\.1)) == Set(RejectionReason.validationOrder), "one bad input per reason code")
        let cluster = try TestCluster(partitions: 3)
        defer { cluster.close() }
        let publisher = try EventPublisher(
            configuration: .init(brokers: cluster.bootstrap, deliveryTimeout: .seconds(20)),
            logger: TestEnvironment.logger())
        for (event, reason, field) in Self.badInputs {
            do {
                try await publisher.send(event)
                Issue.record("\(reason) was sent")
            } catch {
                guard case .invalid(let thrownField, let thrownReason, let detail) = error else {
                    Issue.record("\(reason): \(error)")
                    continue
                }
                #expect(thrownReason == reason && thrownField == field, "\(reason) at \(field): got \(error)")
                #expect(!detail.isEmpty)
            }
        }
        // Only the one valid event is on the wire.
        let delivery = try await publisher.send(
            .orderCreated(orderId: "ord-ok", customerId: "cus-1", items: Self.items, currency: "EUR"))
        await publisher.close()
        #expect(delivery.topic == "orders")
        let onWire =
            try cluster.readAll("orders", expected: 1, timeout: .seconds(20))
            + cluster.readAll("payments", expected: 0, timeout: .seconds(3))
        #expect(onWire.count == 1)
        #expect(onWire.first?.partition == delivery.partition && onWire.first?.offset == delivery.offset)
        #expect(onWire.first?.key == Array("ord-ok".utf8))
    }

    @Test func everyBuilderMakesAValidEventWithAVersion7Id() throws {
        let events: [OutgoingEvent] = [
            .orderCreated(orderId: "o", customerId: "c", items: Self.items, currency: "EUR"),
            .orderCancelled(orderId: "o", customerId: "c", reason: ""),
            .orderShipped(orderId: "o", customerId: "c", carrier: "dhl", trackingNumber: "t"),
            .paymentAuthorized(
                orderId: "o", customerId: "c", paymentId: "p", amountCents: 1, currency: "EUR", method: "card"),
            .paymentCaptured(orderId: "o", customerId: "c", paymentId: "p", amountCents: 1, currency: "EUR"),
            .paymentFailed(
                orderId: "o", customerId: "c", paymentId: "p", amountCents: 1, currency: "EUR", failureCode: "x"),
            .paymentRefunded(orderId: "o", customerId: "c", paymentId: "p", amountCents: 1, currency: "EUR"),
        ]
        var ids: [String] = []
        for event in events {
            #expect(EventPublisher.check(event) == nil, "\(String(decoding: event.value, as: UTF8.self))")
            let parsed = try #require(
                EventValidator.validate(topic: event.topic, key: event.key, value: event.value).event)
            #expect(parsed.eventId == event.eventId)
            let hex = Array(event.eventId)
            #expect(hex.count == 36 && hex[14] == "7" && "89ab".contains(hex[19]))
            ids.append(event.eventId)
        }
        #expect(ids == ids.sorted(), "time-ordered")
        #expect(Set(ids).count == ids.count)
        #expect(
            OutgoingEvent.orderCancelled(orderId: "o", customerId: "c", reason: "", eventId: "mine").eventId == "mine")
    }

    @Test func aSendToAnUnreachableBrokerFailsWithinItsBound() async throws {
        let port = TestEnvironment.freePort()
        let publisher = try EventPublisher(
            configuration: .init(brokers: "127.0.0.1:\(port)", deliveryTimeout: .seconds(2), closeTimeout: .seconds(1)),
            logger: TestEnvironment.logger())
        let start = ContinuousClock.now
        do {
            try await publisher.send(.orderCancelled(orderId: "ord-1", customerId: "cus-1", reason: "r"))
            Issue.record("delivered to nobody")
        } catch {
            guard case .notDelivered = error else { Issue.record("\(error)"); return }
        }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(1_500) && elapsed < .seconds(6), "failed after \(elapsed)")
        await publisher.close()
        await #expect(throws: PublishError.closed) {
            try await publisher.send(.orderCancelled(orderId: "o", customerId: "c", reason: ""))
        }
    }

    @Test func closeFlushesWhatIsInFlightAndInFlightIsBounded() async throws {
        let cluster = try TestCluster(partitions: 3)
        defer { cluster.close() }
        // linger.ms holds every message 3 s in the producer: close must wait for them.
        let publisher = try EventPublisher(
            configuration: .init(brokers: cluster.bootstrap, kafkaProperties: ["linger.ms": "3000"], maxInFlight: 50),
            logger: TestEnvironment.logger())
        try await publisher.prepare()
        let count = 200
        let sends = Task {
            await withTaskGroup(of: Delivery?.self) { group in
                for index in 0..<count {
                    group.addTask {
                        try? await publisher.send(
                            .orderCancelled(orderId: "ord-\(index)", customerId: "c", reason: "r"))
                    }
                }
                var deliveries: [Delivery] = []
                for await delivery in group { if let delivery { deliveries.append(delivery) } }
                return deliveries
            }
        }
        // Wait until the first 50 are in flight; the other 150 wait for a slot.
        var peak = 0
        let filled = await TestEnvironment.eventually(timeout: .seconds(5), every: .milliseconds(20)) {
            peak = max(peak, publisher.inFlight)
            return publisher.inFlight == 50
        }
        #expect(filled)
        for _ in 0..<20 {
            peak = max(peak, publisher.inFlight)
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(peak == 50, "never more than maxInFlight")
        // None delivered yet (they linger); close must deliver every one of them.
        #expect(publisher.inFlight == 50)
        await publisher.close()
        let deliveries = await sends.value
        // What was in flight at close is delivered; the waiting ones were refused as closed.
        #expect(deliveries.count == 50)
        let onWire = try cluster.readAll("orders", expected: deliveries.count, timeout: .seconds(20))
        #expect(onWire.count == deliveries.count)
        #expect(
            Set(onWire.map { "\($0.partition):\($0.offset)" }) == Set(deliveries.map { "\($0.partition):\($0.offset)" })
        )
    }
}
