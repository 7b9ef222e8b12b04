import Foundation
import OrderStreamCommon
import OrderStreamTestSupport
import Testing

@testable import Kafka

extension KafkaTests {
    /// A full local queue makes the blocking `send` wait for delivery reports (a condition the
    /// poll thread signals), not fail and not spin: every message arrives, in order.
    @Suite struct ProducerQueueFullTests {
        @Test func aBlockingSendWaitsForRoomAndEveryMessageArrives() throws {
            let cluster = try KafkaMockCluster(brokers: 1, logger: TestEnvironment.logger("mock"))
            defer { cluster.close() }
            let topic = TestEnvironment.uniqueName("queuefull", separator: "-", length: 8)
            try cluster.createTopic(topic, partitions: 1)
            // Room for 5 messages: 300 sends fill it again and again.
            let configuration: KafkaConfiguration = [
                "bootstrap.servers": cluster.bootstrapServers, "queue.buffering.max.messages": "5",
                "linger.ms": "5",
            ]
            let producer = try KafkaProducer(
                configuration: configuration, queueFullTimeout: .seconds(30), logger: TestEnvironment.logger("producer")
            )
            let offsets = LockedValue<[Int64]>([])
            for index in 0..<300 {
                try producer.send(KafkaOutgoingMessage(topic: topic, value: TestSupport.bytes("m\(index)"))) { result in
                    if case .success(let report) = result { offsets.withLock { $0.append(report.offset) } }
                }
            }
            try producer.flushBlocking(timeout: .seconds(30))
            producer.close()
            #expect(offsets.withLock { $0 } == (0..<300).map(Int64.init))
        }

        @Test func aBlockingSendGivesUpWithQueueFullAfterItsTimeout() throws {
            let cluster = try KafkaMockCluster(brokers: 1, logger: TestEnvironment.logger("mock"))
            defer { cluster.close() }
            let topic = TestEnvironment.uniqueName("queuefull", separator: "-", length: 8)
            try cluster.createTopic(topic, partitions: 1)
            try cluster.setBrokerDown(1)  // nothing is delivered: the queue stays full
            let configuration: KafkaConfiguration = [
                "bootstrap.servers": cluster.bootstrapServers, "queue.buffering.max.messages": "1",
                "message.timeout.ms": "60000",
            ]
            let producer = try KafkaProducer(
                configuration: configuration, queueFullTimeout: .milliseconds(300), closeTimeout: .milliseconds(100),
                logger: TestEnvironment.logger("producer"))
            defer { producer.close() }
            try producer.send(KafkaOutgoingMessage(topic: topic, value: TestSupport.bytes("first"))) { _ in }
            let start = ContinuousClock.now
            #expect(throws: KafkaError.queueFull) {
                try producer.send(KafkaOutgoingMessage(topic: topic, value: TestSupport.bytes("second"))) { _ in }
            }
            let waited = ContinuousClock.now - start
            #expect(waited >= .milliseconds(300) && waited < .seconds(5), "waited \(waited)")
        }
    }
}
