import Kafka

/// Where `orderstream offsets reset` moves each partition's position (pure: the caller reads the
/// positions under lock and asks Kafka for the watermarks and, for `--to-time`, the offsets of
/// that time).
public struct OffsetResetPlan: Sendable, Equatable {
    /// What the operator asked for.
    public enum Target: Sendable, Equatable, CustomStringConvertible {
        /// An absolute offset: the next event to apply.
        case offset(Int64)
        /// Relative to the current position: negative re-reads, positive skips.
        case shift(Int64)
        /// The first event whose Kafka timestamp is at or after this time (milliseconds since
        /// 1970), resolved per partition by Kafka (`offsetsForTimes`).
        case time(millisecondsSince1970: Int64)

        public var description: String {
            switch self {
            case .offset(let offset): "--to-offset \(offset)"
            case .shift(let by): "--shift \(by)"
            case .time(let millis): "--to-time \(millis) ms"
            }
        }
    }

    /// One partition's move.
    public struct Move: Sendable, Equatable {
        public var partition: TopicPartition
        public var from: Int64
        public var to: Int64
        /// Why `to` is not exactly what was asked (a shift clamped to the log), or nil.
        public var note: String?

        public init(partition: TopicPartition, from: Int64, to: Int64, note: String? = nil) {
            self.partition = partition
            self.from = from
            self.to = to
            self.note = note
        }

        /// Events skipped (positive) or to be read again (negative).
        public var delta: Int64 { to - from }
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case noPosition(TopicPartition)
        case noWatermarks(TopicPartition)
        case belowLogStart(TopicPartition, offset: Int64, logStart: Int64)
        case beyondLogEnd(TopicPartition, offset: Int64, logEnd: Int64)
        case noTimeOffset(TopicPartition)

        public var description: String {
            switch self {
            case .noPosition(let partition):
                "\(partition) has no position yet (no worker has consumed it): start a worker first"
            case .noWatermarks(let partition):
                "Kafka did not answer for \(partition)'s watermarks: nothing was changed"
            case .belowLogStart(let partition, let offset, let start):
                "offset \(offset) of \(partition) is below the log start \(start) (retention removed it)"
            case .beyondLogEnd(let partition, let offset, let end):
                "offset \(offset) of \(partition) is beyond the log end \(end)"
            case .noTimeOffset(let partition):
                "Kafka did not resolve the time for \(partition): nothing was changed"
            }
        }
    }

    public var moves: [Move]

    /// Plans `target` for `partitions`. Every partition must have a position and watermarks;
    /// an absolute offset outside the log is refused, a shift is clamped to it, and a time after
    /// the last event moves to the log end. One refusal refuses the whole plan.
    public static func plan(
        _ target: Target, partitions: [TopicPartition], positions: [TopicPartition: Int64],
        watermarks: [TopicPartition: KafkaWatermarks], timeOffsets: [TopicPartition: Int64] = [:]
    ) -> Result<OffsetResetPlan, Failure> {
        var moves: [Move] = []
        for partition in partitions.sorted() {
            guard let from = positions[partition] else { return .failure(.noPosition(partition)) }
            guard let marks = watermarks[partition] else { return .failure(.noWatermarks(partition)) }
            switch target {
            case .offset(let offset):
                if offset < marks.low {
                    return .failure(.belowLogStart(partition, offset: offset, logStart: marks.low))
                }
                if offset > marks.high { return .failure(.beyondLogEnd(partition, offset: offset, logEnd: marks.high)) }
                moves.append(Move(partition: partition, from: from, to: offset))
            case .shift(let by):
                let (wanted, overflow) = from.addingReportingOverflow(by)
                let asked = overflow ? (by < 0 ? Int64.min : Int64.max) : wanted
                let to = min(max(asked, marks.low), marks.high)
                let note = to == asked ? nil : (to == marks.low ? "clamped to the log start" : "clamped to the log end")
                moves.append(Move(partition: partition, from: from, to: to, note: note))
            case .time:
                guard let resolved = timeOffsets[partition] else { return .failure(.noTimeOffset(partition)) }
                // Kafka answers -1 (the end) when every event is older than the time.
                let to = resolved < 0 ? marks.high : min(max(resolved, marks.low), marks.high)
                moves.append(
                    Move(
                        partition: partition, from: from, to: to,
                        note: resolved < 0 ? "no event at or after the time: the log end" : nil))
            }
        }
        return .success(OffsetResetPlan(moves: moves))
    }
}
