import Kafka
import OrderStreamWorker
import Testing

/// Which partitions a canary moves, without I/O.
struct CanarySelectionTests {
    static func group(_ count: Int32) -> [TopicPartition] {
        (0..<count).flatMap {
            [TopicPartition(topic: "orders", partition: $0), TopicPartition(topic: "payments", partition: $0)]
        }
    }

    @Test func aListNamesTopicsOnceForTheNumbersThatFollow() throws {
        let parsed = try CanarySelection.parse("orders:0,3,payments:0, 3").get()
        #expect(parsed.map(\.description) == ["orders[0]", "orders[3]", "payments[0]", "payments[3]"])
        for bad in ["", "0,3", "orders:x", "shipments:1", "orders:-1", "orders:1,,2"] {
            if case .success(let partitions) = CanarySelection.parse(bad) {
                Issue.record("'\(bad)' parsed as \(partitions)")
            }
        }
    }

    @Test func aShareIsAPercentageStrictlyBetweenNothingAndEverything() {
        #expect(CanarySelection.share("25%") == .success(0.25))
        #expect(CanarySelection.share("12.5") == .success(0.125))
        for bad in ["0%", "100%", "-5%", "abc", "nan%", "150"] {
            #expect(CanarySelection.share(bad) == .failure(.invalidShare(bad)), "\(bad)")
        }
    }

    @Test func aShareMovesEvenlySpreadPartitionNumbersOnBothTopics() throws {
        let quarter = try CanarySelection.partitions(share: 0.25, of: Self.group(8)).get()
        #expect(quarter.map(\.description) == ["orders[0]", "orders[4]", "payments[0]", "payments[4]"])
        let tiny = try CanarySelection.partitions(share: 0.01, of: Self.group(6)).get()
        #expect(tiny.map(\.partition) == [0, 0], "at least one partition number")
        #expect(CanarySelection.partitions(share: 0.99, of: Self.group(6)) == .failure(.everything))
        #expect(CanarySelection.partitions(share: 0.5, of: []) == .failure(.unknownPartitions([])))
        let third = try CanarySelection.partitions(share: 0.34, of: Self.group(6)).get()
        #expect(Set(third.map(\.partition)) == [0, 2, 4] && third.count == 6)
    }

    @Test func aListMustNameKnownPartitionsAndLeaveSomeBehind() {
        let existing = Self.group(2)
        let unknown = TopicPartition(topic: "orders", partition: 9)
        #expect(CanarySelection.check([unknown], existing: existing) == .failure(.unknownPartitions([unknown])))
        #expect(CanarySelection.check(existing, existing: existing) == .failure(.everything))
        #expect(CanarySelection.check([existing[0]], existing: existing) == .success([existing[0]]))
    }
}
