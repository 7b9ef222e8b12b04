import Foundation
import OrderStreamCommon
import OrderStreamTestSupport
import Synchronization
import Testing

@testable import Kafka

extension KafkaTests {
    /// Delivery failures come back as errors, never as hangs or silence.
    @Suite struct ProducerFailureTests {
        @Test func undeliverableMessageFailsWithinSeconds() async throws {
            let cluster = try KafkaMockCluster(brokers: 2, logger: TestEnvironment.logger("mock"))
            defer { cluster.close() }
            let topic = TestEnvironment.uniqueName("undeliverable", separator: "-", length: 8)
            try cluster.createTopic(topic, partitions: 1)
            let errors = LockedValue<[KafkaError]>([])
            // Every wait librdkafka may add to message.timeout.ms, bounded by what is configured
            // here rather than by its defaults: a produce request already in flight is timed out
            // only after request.timeout.ms (30 s by default; seen once: 10.6 s); while every
            // broker is down, a broker thread wakes for its timeout scans only between reconnect
            // attempts (reconnect.backoff.max.ms, 10 s by default; seen: 9.0 s) and connection
            // set-ups (socket.connection.setup.timeout.ms, 30 s by default).
            let settings = [
                "message.timeout.ms": 2_000, "request.timeout.ms": 2_000, "socket.timeout.ms": 2_000,
                "reconnect.backoff.ms": 100, "reconnect.backoff.max.ms": 1_000,
                "socket.connection.setup.timeout.ms": 2_000,
            ]
            // The message's own timeout, plus the longest of the waits above, plus librdkafka's
            // 1 s timeout-scan interval and 1 s of scheduling slack.
            let boundMillis =
                settings["message.timeout.ms"]!
                + max(
                    settings["request.timeout.ms"]!, settings["reconnect.backoff.max.ms"]!,
                    settings["socket.connection.setup.timeout.ms"]!)
                + 2_000
            var configuration: KafkaConfiguration = ["bootstrap.servers": cluster.bootstrapServers]
            for (property, value) in settings.sorted(by: { $0.key < $1.key }) { configuration[property] = "\(value)" }
            let producer = try KafkaProducer(
                configuration: configuration,
                closeTimeout: .seconds(1),
                logger: TestEnvironment.logger("producer"),
                onError: { error in errors.withLock { $0.append(error) } }
            )
            // Connected first, so the failure below is the outage, not a bad setup.
            let first = try await producer.send(KafkaOutgoingMessage(topic: topic, value: TestSupport.bytes("ok")))
            #expect(first.offset == 0)

            for id in 1...Int32(cluster.brokerCount) { try cluster.setBrokerDown(id) }
            let start = ContinuousClock.now
            do {
                let report = try await producer.send(
                    KafkaOutgoingMessage(topic: topic, value: TestSupport.bytes("lost")))
                Issue.record("delivered with all brokers down: \(report)")
            } catch {
                guard case .delivery(let code, _) = error else {
                    Issue.record("unexpected error \(error)")
                    return
                }
                #expect(code == .messageTimedOut)
            }
            let elapsed = ContinuousClock.now - start
            print("undeliverable message failed after \(elapsed)")
            #expect(elapsed < .milliseconds(boundMillis), "bound derived from the configuration: \(boundMillis) ms")

            // Still down: messages pending at close get their completion with an error, exactly once.
            let calls = LockedValue<[Int: Int]>([:])
            let failures = Atomic<Int>(0)
            for i in 0..<10 {
                try producer.send(KafkaOutgoingMessage(topic: topic, value: TestSupport.bytes("pending-\(i)"))) {
                    result in
                    calls.withLock { $0[i, default: 0] += 1 }
                    if case .failure = result { failures.add(1, ordering: .relaxed) }
                }
            }
            let closeStart = ContinuousClock.now
            try await TestEnvironment.onThread { producer.close() }
            #expect(ContinuousClock.now - closeStart < .seconds(10))
            #expect(calls.withLock { $0 } == Dictionary(uniqueKeysWithValues: (0..<10).map { ($0, 1) }))
            #expect(failures.load(ordering: .relaxed) == 10)
            do {
                try producer.send(KafkaOutgoingMessage(topic: topic, value: [])) { _ in }
                Issue.record("send after close was accepted")
            } catch {
                #expect(error == .closed)
            }
            print("client errors reported while brokers were down: \(errors.withLock { $0.count })")
            #expect(errors.withLock { !$0.isEmpty })
        }
    }
}
