import Foundation
import OrderStreamTestSupport
import Testing

@testable import Kafka

extension KafkaTests {
    /// Group rebalances with both protocols: the handler runs before partitions are
    /// released and before they are assigned, and explicit start offsets are honoured.
    @Suite struct RebalanceTests {
        static let partitions: Int32 = 6

        @Test func cooperativeSplitAndRejoin() async throws {
            try await splitAndRejoin(strategy: nil)
        }

        @Test func eagerSplitAndRejoin() async throws {
            try await splitAndRejoin(strategy: "range")
        }

        /// `strategy` nil = the consumer's default (cooperative-sticky).
        private func splitAndRejoin(strategy: String?) async throws {
            let cluster = try KafkaMockCluster(brokers: 1, logger: TestEnvironment.logger("mock"))
            defer { cluster.close() }
            let topic = TestEnvironment.uniqueName("rebalance", separator: "-", length: 8)
            try cluster.createTopic(topic, partitions: Self.partitions)
            let all = Set((0..<Self.partitions).map { TopicPartition(topic: topic, partition: $0) })
            let p3 = TopicPartition(topic: topic, partition: 3)

            // 1,000 records in every partition before anyone consumes.
            let producer = try KafkaProducer(
                configuration: ["bootstrap.servers": cluster.bootstrapServers],
                logger: TestEnvironment.logger("producer"))
            try await TestEnvironment.onThread {
                for partition in 0..<Self.partitions {
                    for i in 0..<1000 {
                        try producer.send(
                            KafkaOutgoingMessage(
                                topic: topic, partition: partition, value: TestSupport.bytes("\(partition)-\(i)"))
                        ) { _ in }
                    }
                }
            }
            try await producer.flush(timeout: .seconds(30))
            producer.close()

            var configuration = TestSupport.consumerConfiguration(
                cluster, group: TestEnvironment.uniqueName("rb-group", separator: "-", length: 8))
            if let strategy { configuration["partition.assignment.strategy"] = strategy }
            let a = try ConsumerRunner(configuration: configuration, topics: [topic], explicitOffsets: [p3: 500])
            let b = try ConsumerRunner(configuration: configuration, topics: [topic], explicitOffsets: [p3: 500])

            a.start()
            let aAlone = await TestEnvironment.eventually(timeout: .seconds(20), every: .milliseconds(20)) {
                a.assignedSet == all
            }
            try #require(aAlone, "first consumer never got all partitions: \(a.assignedSet)")
            let startedB = ContinuousClock.now
            b.start()
            let split = await TestEnvironment.eventually(timeout: .seconds(30), every: .milliseconds(20)) {
                let (sa, sb) = (a.assignedSet, b.assignedSet)
                return !sa.isEmpty && !sb.isEmpty && sa.isDisjoint(with: sb) && sa.union(sb) == all
            }
            print(
                "\(strategy ?? "cooperative-sticky"): split took \(ContinuousClock.now - startedB): A=\(a.assignedSet.map(\.partition).sorted()) B=\(b.assignedSet.map(\.partition).sorted())"
            )
            #expect(split, "partitions did not split: A=\(a.assignedSet) B=\(b.assignedSet)")

            // A's handler saw a revoke, and inside it the partitions were still assigned.
            let revokesOfA = a.handler.state.withLock { $0.revokes }
            try #require(!revokesOfA.isEmpty, "first consumer saw no revoke")
            #expect(revokesOfA.allSatisfy { $0.stillAssignedInHandler && !$0.lost && !$0.partitions.isEmpty })
            if strategy == nil {
                // Cooperative: only what moved to B is revoked; A keeps the rest throughout.
                #expect(Set(revokesOfA[0].partitions) == b.assignedSet)
            } else {
                // Eager: everything is revoked, then reassigned.
                #expect(Set(revokesOfA[0].partitions) == all)
            }

            // B leaves the group on close: A gets everything back.
            let leftAt = ContinuousClock.now
            #expect(await b.stop())
            let rejoined = await TestEnvironment.eventually(timeout: .seconds(30), every: .milliseconds(20)) {
                a.assignedSet == all
            }
            print("\(strategy ?? "cooperative-sticky"): takeover after close took \(ContinuousClock.now - leftAt)")
            #expect(rejoined, "remaining consumer did not get all partitions back: \(a.assignedSet)")
            #expect(
                b.handler.state.withLock { $0.revokes.last?.stillAssignedInHandler } == true,
                "close revoked before release")

            // Explicit start offsets: every assignment of partition 3 started at 500.
            let sawAllP3 = await TestEnvironment.eventually(timeout: .seconds(10), every: .milliseconds(20)) {
                a.handler.state.withLock { $0.awaitingFirst.isEmpty }
            }
            #expect(sawAllP3)
            #expect(await a.stop())
            let firsts = a.handler.state.withLock { $0.firstOffsets } + b.handler.state.withLock { $0.firstOffsets }
            let p3Firsts = firsts.filter { $0.0 == p3 }.map(\.1)
            let otherFirsts = firsts.filter { $0.0 != p3 }.map(\.1)
            print(
                "\(strategy ?? "cooperative-sticky"): first offsets of partition 3 after each assignment: \(p3Firsts)")
            #expect(!p3Firsts.isEmpty)
            #expect(p3Firsts.allSatisfy { $0 == 500 })
            #expect(
                otherFirsts.allSatisfy { $0 == 0 },
                "partitions without explicit offset start at auto.offset.reset (nothing committed)")
            #expect(a.pollError.withLock { $0 } == nil)
            #expect(b.pollError.withLock { $0 } == nil)
        }
    }
}
