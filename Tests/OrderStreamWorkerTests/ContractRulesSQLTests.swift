import Foundation
import Kafka
import OrderStreamDomain
import OrderStreamTestSupport
import PostgreSQL
import Testing

@testable import OrderStreamWorker

/// The contract's rules that the load generator never exercises, applied through the SQL path:
/// a second `order.created` is a no-op, a payment's amount counts once per payment id and type,
/// and a payment that arrives before its order is applied at once (the order is `authorized`,
/// not yet created: the first rule that holds wins) and converges when the order arrives.
@Suite(.serialized)
struct ContractRulesSQLTests {
    static func event(
        _ id: String, _ type: String, order: String = "ord-1", customer: String = "cus-1",
        at time: String = "2026-11-26T12:00:10Z", data: String
    ) -> ConsumedMessage.Payload {
        let json = """
            {"event_id":"\(id)","event_type":"\(type)","schema_version":1,"occurred_at":"\(time)",\
            "order_id":"\(order)","customer_id":"\(customer)","data":\(data)}
            """
        return ConsumedMessage.Payload(topic: type.hasPrefix("order.") ? "orders" : "payments", key: order, value: json)
    }

    @Test func secondCreatedAndRepeatedCapturesChangeNothingAndEarlyPaymentsConverge() throws {
        let created = #"{"items":[{"sku":"a","quantity":1,"unit_price_cents":100}],"total_cents":100,"currency":"EUR"}"#
        let other = #"{"items":[{"sku":"b","quantity":3,"unit_price_cents":333}],"total_cents":999,"currency":"USD"}"#
        let capture = #"{"payment_id":"pay-1","amount_cents":100,"currency":"EUR"}"#
        let stream = [
            Self.event("e1", "payment.captured", data: capture),  // before its order
            Self.event("e2", "order.created", at: "2026-11-26T12:01:00Z", data: created),
            Self.event("e3", "order.created", at: "2026-11-26T12:02:00Z", data: other),  // a second create: no-op
            Self.event("e4", "payment.captured", at: "2026-11-26T12:03:00Z", data: capture),  // same payment again
            Self.event("e2", "order.created", at: "2026-11-26T12:01:00Z", data: created),  // a publisher retry
        ]
        let url = try TestEnvironment.freshDatabase()
        let connection = try PGConnection.connect(try PGConnectionConfiguration(url), logger: TestEnvironment.logger())
        defer { connection.close() }
        _ = try PositionStore.ensureControl(group: "g", initialColor: .blue, on: connection)
        let keys = [TopicPartition(topic: "orders", partition: 0), TopicPartition(topic: "payments", partition: 0)]
        let rows = try PositionStore.claim(keys, group: "g", on: connection)
        let fence = BatchApplier.Fence(group: "g", color: .blue, instanceId: "t", epochs: rows.mapValues(\.epoch))
        var reference = ReferenceModel()
        var offsets: [String: Int64] = [:]
        var expected = rows.mapValues(\.nextOffset)
        for (index, payload) in stream.enumerated() {
            reference.apply(topic: payload.topic, key: Array(payload.key.utf8), value: Array(payload.value.utf8))
            let offset = offsets[payload.topic, default: 0]
            offsets[payload.topic] = offset + 1
            let message = ConsumedMessage(
                partition: TopicPartition(topic: payload.topic, partition: 0), offset: offset,
                key: Array(payload.key.utf8), value: Array(payload.value.utf8), timestampMillis: nil)
            let batch = ValidatedBatch(messages: [message], expected: expected)
            _ = try BatchApplier.apply(batch, fence: fence, on: connection)
            for (key, slice) in batch.partitions { expected[key] = slice.nextOffset }
            if index == 0 {
                let pending = try #require(try KPIQueries.order(id: "ord-1", on: connection))
                #expect(pending.status == .authorized)  // "authorized" holds before "pending" is reached
                #expect(pending.json.contains("\"total_cents\":null"))
            }
        }
        let order = try #require(try KPIQueries.order(id: "ord-1", on: connection))
        #expect(order.status == .paid)
        #expect(order.facts.totalCents == 100 && order.facts.currency == "EUR" && order.facts.capturedCents == 100)
        let kpis = try KPIQueries.kpis(window: nil, on: connection)
        #expect(kpis.ordersCreated == 1 && kpis.paymentsCaptured == 1 && kpis.capturedCents == ["EUR": 100])
        #expect(kpis.eventsApplied == 4 && kpis.eventsDuplicate == 1 && kpis.activeCustomers == 1)
        #expect(kpis == reference.kpis())
        // The order counts in the window of its first create, the capture in the window of its first capture.
        let minute = { (m: String) in RFC3339.parseMicros("2026-11-26T12:0\(m):00Z")! }
        let createdWindow = try KPIQueries.kpis(
            window: KPIWindow(fromMicros: minute("1"), toMicros: minute("2")), on: connection)
        #expect(createdWindow.ordersCreated == 1 && createdWindow.paymentsCaptured == 0)
        let laterWindow = try KPIQueries.kpis(
            window: KPIWindow(fromMicros: minute("2"), toMicros: minute("4")), on: connection)
        #expect(laterWindow.ordersCreated == 0 && laterWindow.paymentsCaptured == 0 && laterWindow.eventsApplied == 2)
    }
}

extension ConsumedMessage {
    /// A hand-written message before it has an offset.
    struct Payload {
        var topic: String
        var key: String
        var value: String
    }
}
