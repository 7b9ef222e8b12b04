import Foundation
import Kafka
import OrderStreamDomain
import OrderStreamTestSupport
import Testing

@testable import OrderStreamWorker

/// `DeadLetterPublisher.send` and the delivery it returns, against the embedded broker over TCP:
/// acknowledged while the broker is up, not acknowledged (and not failed) while it is down, then
/// acknowledged once it is back, and failed when librdkafka gives a message up.
@Suite(.serialized)
struct DeadLetterDeliveryTests {
    static func rejected(_ count: Int, from first: Int64) -> [ValidatedBatch.Rejected] {
        (0..<Int64(count)).map { index in
            ValidatedBatch.Rejected(
                message: ConsumedMessage(
                    partition: TopicPartition(topic: "orders", partition: 0), offset: first + index,
                    key: Array("key-\(first + index)".utf8), value: Array("not json \(first + index)".utf8),
                    timestampMillis: nil),
                rejection: Rejection(.malformed, "not JSON"))
        }
    }

    @Test func acknowledgedWhileTheBrokerIsUpAndOnlyOnceItIsBack() throws {
        let cluster = try TestCluster(partitions: 1)
        defer { cluster.close() }
        let producer = try KafkaProducer(
            configuration: ["bootstrap.servers": cluster.bootstrap], logger: TestEnvironment.logger("producer"))
        defer { producer.close() }
        let publisher = DeadLetterPublisher(producer: producer)

        let first = publisher.send(Self.rejected(3, from: 0))
        #expect(try first.wait(timeout: .seconds(30)))
        #expect(!first.failed)
        // Nothing to send: acknowledged at once.
        #expect(try publisher.send([]).wait(timeout: .zero))

        try cluster.cluster.setBrokerDown(1)
        let second = publisher.send(Self.rejected(2, from: 3))
        #expect(try second.wait(timeout: .milliseconds(500)) == false, "acknowledged with the broker down")
        #expect(!second.failed)
        try cluster.cluster.setBrokerUp(1)
        #expect(try second.wait(timeout: .seconds(60)))
        #expect(!second.failed)

        let letters = try cluster.readAll("orders.dlq", expected: 5)
        #expect(Set(letters.map { String(decoding: $0.value, as: UTF8.self) }).count == 5)
    }

    @Test func aMessageGivenUpFailsTheDelivery() throws {
        let cluster = try TestCluster(partitions: 1)
        defer { cluster.close() }
        // Bounded as in KafkaTests.ProducerFailureTests, so that librdkafka gives up in seconds.
        let producer = try KafkaProducer(
            configuration: [
                "bootstrap.servers": cluster.bootstrap, "message.timeout.ms": "2000", "request.timeout.ms": "2000",
                "socket.timeout.ms": "2000", "reconnect.backoff.ms": "100", "reconnect.backoff.max.ms": "1000",
                "socket.connection.setup.timeout.ms": "2000",
            ],
            closeTimeout: .seconds(1), logger: TestEnvironment.logger("producer"))
        defer { producer.close() }
        let publisher = DeadLetterPublisher(producer: producer)
        #expect(try publisher.send(Self.rejected(1, from: 0)).wait(timeout: .seconds(30)))

        try cluster.cluster.setBrokerDown(1)
        let delivery = publisher.send(Self.rejected(2, from: 1))
        do {
            let acknowledged = try delivery.wait(timeout: .seconds(30))
            Issue.record("no failure with the broker down (acknowledged: \(acknowledged))")
        } catch {
            guard case .delivery(let code, _) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(code == .messageTimedOut)
        }
        #expect(delivery.failed)
    }
}
