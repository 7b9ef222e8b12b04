import Foundation
import OrderStreamCommon
import OrderStreamTestSupport
import Synchronization
import Testing

@testable import Kafka

extension KafkaTests {
    /// Volume: everything produced is consumed once, intact, at a useful rate.
    @Suite struct RoundTripTests {
        /// The produce+consume rate below which the round trip fails (see the test).
        static let minimumMessagesPerSecond = 10_000.0

        @Test func hundredThousandMessagesOverTwelvePartitions() async throws {
            let total = 100_000
            let cluster = try KafkaMockCluster(brokers: 1, logger: TestEnvironment.logger("mock"))
            defer { cluster.close() }
            let topic = TestEnvironment.uniqueName("roundtrip", separator: "-", length: 8)
            try cluster.createTopic(topic, partitions: 12)

            let runner = try ConsumerRunner(
                configuration: TestSupport.consumerConfiguration(
                    cluster, group: TestEnvironment.uniqueName("rt-group", separator: "-", length: 8)),
                topics: [topic]
            )
            runner.start()
            let assigned = await TestEnvironment.eventually(timeout: .seconds(20), every: .milliseconds(20)) {
                runner.assignedSet.count == 12
            }
            try #require(assigned, "consumer never got the 12 partitions")

            let producer = try KafkaProducer(
                configuration: ["bootstrap.servers": cluster.bootstrapServers, "linger.ms": "5"],
                logger: TestEnvironment.logger("producer")
            )
            let reports = Mutex<[Int: KafkaDeliveryReport]>([:])
            let failures = Mutex<[KafkaError]>([])
            let start = ContinuousClock.now
            try await TestEnvironment.onThread {
                for i in 0..<total {
                    let message = KafkaOutgoingMessage(
                        topic: topic,
                        key: TestSupport.bytes("order-\(i % 1000)"),
                        value: TestSupport.bytes("id=\(i);" + String(repeating: "x", count: 100)),
                        headers: [
                            KafkaHeader(key: "id", value: TestSupport.bytes("\(i)")),
                            KafkaHeader(key: "source", value: TestSupport.bytes("test")),
                            KafkaHeader(key: "empty", value: nil),
                        ]
                    )
                    try producer.send(message) { result in
                        switch result {
                        case .success(let report): reports.withLock { $0[i] = report }
                        case .failure(let error): failures.withLock { $0.append(error) }
                        }
                    }
                }
            }
            let enqueued = ContinuousClock.now
            try await producer.flush(timeout: .seconds(60))
            let delivered = ContinuousClock.now
            let allConsumed = await TestEnvironment.eventually(timeout: .seconds(60), every: .milliseconds(20)) {
                runner.count.load(ordering: .acquiring) >= total
            }
            let consumed = ContinuousClock.now
            #expect(await runner.stop())
            producer.close()

            let seconds = { (d: Duration) in d.seconds }
            print(
                String(
                    format:
                        "round trip %d msgs: enqueue %.0f msgs/s, produce+deliver %.0f msgs/s, produce+consume %.0f msgs/s (%.2f s)",
                    total, Double(total) / seconds(enqueued - start), Double(total) / seconds(delivered - start),
                    Double(total) / seconds(consumed - start), seconds(consumed - start)))

            #expect(failures.withLock { $0.isEmpty })
            #expect(allConsumed)
            // "A useful rate": the layer measures 110,000-130,000 msgs/s produce+consume here in a
            // debug build; a tenth of that is the floor, so only a real regression (a lock or a
            // poll loop gone wrong), not a busy CI machine, fails it.
            let consumeRate = Double(total) / seconds(consumed - start)
            #expect(
                consumeRate >= Self.minimumMessagesPerSecond,
                "produce+consume \(Int(consumeRate)) msgs/s, under the \(Int(Self.minimumMessagesPerSecond)) floor")
            let messages = runner.messages.withLock { $0 }
            let reportsById = reports.withLock { $0 }
            #expect(messages.count == total, "no duplicates: consumed \(messages.count)")
            #expect(reportsById.count == total)
            #expect(
                Set(messages.map { "\($0.partition)/\($0.offset)" }).count == messages.count,
                "(partition, offset) unique")
            #expect(Set(messages.map(\.partition)).count == 12)

            var seen = Set<Int>()
            var mismatches = 0
            for message in messages {
                let value = TestSupport.string(message.value) ?? ""
                guard value.hasPrefix("id="), let id = Int(value.dropFirst(3).prefix { $0 != ";" }) else {
                    mismatches += 1
                    continue
                }
                seen.insert(id)
                let expectedHeaders = [
                    KafkaHeader(key: "id", value: TestSupport.bytes("\(id)")),
                    KafkaHeader(key: "source", value: TestSupport.bytes("test")),
                    KafkaHeader(key: "empty", value: nil),
                ]
                let report = reportsById[id]
                if message.key != TestSupport.bytes("order-\(id % 1000)") || message.headers != expectedHeaders
                    || report?.partition != message.partition || report?.offset != message.offset
                    || message.topic != topic || message.timestamp == nil
                {
                    mismatches += 1
                }
            }
            #expect(seen == Set(0..<total), "every payload id exactly once")
            #expect(
                mismatches == 0, "keys, headers, topic, timestamp and (partition, offset) match the delivery reports")
        }
    }
}
