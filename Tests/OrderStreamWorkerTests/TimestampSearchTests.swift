import OrderStreamWorker
import Testing

/// The message-timestamp search behind `offsets reset --to-time`, against known logs.
struct TimestampSearchTests {
    /// A log at offsets 10..<20 with these timestamps (ties and a gap in time).
    static let timestamps: [Int64] = [100, 100, 105, 110, 110, 110, 200, 250, 250, 300]

    /// The offset found, and how many messages the search read.
    static func search(_ target: Int64) -> (offset: Int64, probes: Int) {
        var probes = 0
        let offset = TimestampSearch.firstOffset(atOrAfter: target, low: 10, high: 20) { offset in
            probes += 1
            return timestamps[Int(offset - 10)]
        }
        return (offset, probes)
    }

    @Test func findsTheFirstOffsetAtOrAfterTheTimeForEveryTime() {
        for target in Int64(0)...Int64(400) {
            let (found, probes) = Self.search(target)
            let wanted = Self.timestamps.firstIndex { $0 >= target }.map { Int64($0 + 10) } ?? 20
            #expect(found == wanted, "time \(target)")
            #expect(probes <= 4, "a binary search over 10 offsets")
        }
    }

    @Test func anEmptyRangeOrAMissingMessageNeverLoops() {
        #expect(TimestampSearch.firstOffset(atOrAfter: 5, low: 7, high: 7) { _ in 0 } == 7)
        // Nothing readable counts as newer than the time: the search moves down, never past the log.
        #expect(TimestampSearch.firstOffset(atOrAfter: 5, low: 0, high: 8) { _ in nil } == 0)
    }

    @Test func kafkasNoneIsDistrustedOnlyWhenTheLastMessageContradictsIt() {
        #expect(TimestampSearch.contradicts(kafkaAnswer: -1, lastTimestamp: 300, target: 250))
        #expect(!TimestampSearch.contradicts(kafkaAnswer: -1, lastTimestamp: 200, target: 250))
        #expect(!TimestampSearch.contradicts(kafkaAnswer: 12, lastTimestamp: 300, target: 250))
        #expect(!TimestampSearch.contradicts(kafkaAnswer: -1, lastTimestamp: nil, target: 250))
    }
}
