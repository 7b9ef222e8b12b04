/// The first offset of a partition whose message timestamp is at or after a time, found by
/// reading message timestamps (pure: the caller reads the messages).
///
/// Exists because a broker may not answer Kafka's time lookup (ListOffsets by timestamp): the
/// embedded broker (librdkafka 2.0.2's mock cluster) answers "none" for every time. The search
/// assumes timestamps do not decrease along the partition, which holds for LogAppendTime and for
/// CreateTime from producers with synchronized clocks; Kafka's own lookup assumes the same.
public enum TimestampSearch {
    /// The first offset in `low..<high` whose timestamp is at or after `target`, or `high` when
    /// every message is older. `timestamp(offset)` gives the timestamp of the first message at or
    /// after `offset` (nil when there is none: treated as newer than everything).
    public static func firstOffset(
        atOrAfter target: Int64, low: Int64, high: Int64, timestamp: (Int64) throws -> Int64?
    ) rethrows -> Int64 {
        var lower = low
        var upper = high
        while lower < upper {
            let middle = lower + (upper - lower) / 2
            if let found = try timestamp(middle), found < target {
                lower = middle + 1
            } else {
                upper = middle
            }
        }
        return lower
    }

    /// Whether Kafka's answer to a time lookup can be trusted: "no message at or after the time"
    /// (-1) is contradicted when the last message is at or after it.
    public static func contradicts(kafkaAnswer: Int64, lastTimestamp: Int64?, target: Int64) -> Bool {
        guard kafkaAnswer < 0, let lastTimestamp else { return false }
        return lastTimestamp >= target
    }
}
