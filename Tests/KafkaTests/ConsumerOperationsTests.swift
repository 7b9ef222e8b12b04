import Foundation
import OrderStreamTestSupport
import Synchronization
import Testing

@testable import Kafka

extension KafkaTests {
    /// Watermarks, pause/resume and offsets on one consumer driven from its own thread.
    @Suite struct ConsumerOperationsTests {
        @Test func watermarksPauseResumeCommit() async throws {
            let cluster = try KafkaMockCluster(brokers: 1, logger: TestEnvironment.logger("mock"))
            defer { cluster.close() }
            let topic = TestEnvironment.uniqueName("ops", separator: "-", length: 8)
            try cluster.createTopic(topic, partitions: 2)
            let p0 = TopicPartition(topic: topic, partition: 0)
            let p1 = TopicPartition(topic: topic, partition: 1)
            let producer = try KafkaProducer(
                configuration: ["bootstrap.servers": cluster.bootstrapServers],
                logger: TestEnvironment.logger("producer"))
            defer { producer.close() }
            for partition: Int32 in [0, 1] {
                for i in 0..<100 {
                    let report = try await producer.send(
                        KafkaOutgoingMessage(topic: topic, partition: partition, value: TestSupport.bytes("\(i)")))
                    #expect(report.partition == partition && report.offset == Int64(i))
                }
            }

            let consumer = try KafkaConsumer(
                configuration: TestSupport.consumerConfiguration(
                    cluster, group: TestEnvironment.uniqueName("ops-group", separator: "-", length: 8)),
                logger: TestEnvironment.logger("consumer")
            )
            let marks = try await consumer.watermarks(topic: topic, partition: 0, timeout: .seconds(10))
            #expect(marks == KafkaWatermarks(low: 0, high: 100))

            // Phase 1 (polling thread): join, pause p1, drain p0.
            let phase1 = try await TestEnvironment.onThread { () -> [KafkaMessage] in
                try consumer.subscribe(topics: [topic])
                var got: [KafkaMessage] = []
                let deadline = ContinuousClock.now + .seconds(20)
                while Set(try consumer.assignment()) != [p0, p1], ContinuousClock.now < deadline {
                    got += try consumer.poll(maxMessages: 1000, timeout: .milliseconds(100))
                }
                try consumer.pause([p1])
                var afterPause: [KafkaMessage] = []
                while afterPause.filter({ $0.partition == 0 }).count + got.filter({ $0.partition == 0 }).count < 100,
                    ContinuousClock.now < deadline
                {
                    afterPause += try consumer.poll(maxMessages: 1000, timeout: .milliseconds(100))
                }
                return afterPause
            }
            // More records for the paused partition, then a quiet period: none may arrive.
            for i in 100..<150 {
                _ = try await producer.send(
                    KafkaOutgoingMessage(topic: topic, partition: 1, value: TestSupport.bytes("\(i)")))
            }
            let whilePaused = try await TestEnvironment.onThread { () -> [KafkaMessage] in
                var got: [KafkaMessage] = []
                let until = ContinuousClock.now + .seconds(2)
                while ContinuousClock.now < until {
                    got += try consumer.poll(maxMessages: 1000, timeout: .milliseconds(100))
                }
                return got
            }
            #expect(phase1.filter { $0.partition == 1 && $0.offset >= 100 }.isEmpty)
            #expect(
                whilePaused.filter { $0.partition == 1 }.isEmpty,
                "paused partition delivered \(whilePaused.count) messages")

            // Phase 2: resume; p1's records arrive (at least the new ones, 100..<150).
            let resumed = try await TestEnvironment.onThread { () -> [KafkaMessage] in
                try consumer.resume([p1])
                var got: [KafkaMessage] = []
                let deadline = ContinuousClock.now + .seconds(15)
                while !got.contains(where: { $0.partition == 1 && $0.offset == 149 }), ContinuousClock.now < deadline {
                    got += try consumer.poll(maxMessages: 1000, timeout: .milliseconds(100))
                }
                return got
            }
            #expect(resumed.contains { $0.partition == 1 && $0.offset == 149 }, "resumed partition delivered nothing")
            #expect(
                try await consumer.watermarks(topic: topic, partition: 1, timeout: .seconds(10))
                    == KafkaWatermarks(low: 0, high: 150))

            // Offsets: explicit sync commit, then stored offsets committed, then the async variant.
            let committed = try await TestEnvironment.onThread { () -> [[TopicPartitionOffset]] in
                try consumer.commit(
                    offsets: [TopicPartitionOffset(p0, offset: 50), TopicPartitionOffset(p1, offset: 150)], async: false
                )
                let first = try consumer.committed([p0, p1], timeout: .seconds(10))
                try consumer.storeOffsets([TopicPartitionOffset(p0, offset: 100)])
                try consumer.commit(offsets: [], async: false)
                let second = try consumer.committed([p0, p1], timeout: .seconds(10))
                return [first, second]
            }
            #expect(committed[0].map(\.offset) == [50, 150])
            #expect(committed[1].map(\.offset) == [100, 150])
            try await consumer.commit(offsets: [TopicPartitionOffset(p1, offset: 7)])
            #expect(try await consumer.committed([p1], timeout: .seconds(10)).map(\.offset) == [7])

            try await TestEnvironment.onThread { consumer.close() }
            #expect(throws: KafkaError.closed) { try consumer.assignment() }
            #expect(throws: KafkaError.closed) { _ = try consumer.poll(timeout: .milliseconds(1)) }
        }
    }
}
