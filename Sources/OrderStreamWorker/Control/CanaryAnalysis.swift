/// What `cutover --analyze` watches on the partitions a step gave the new color, and when it
/// calls a breach (pure: the caller reads the figures from PostgreSQL and Kafka).
public struct CanaryAnalysis: Sendable, Equatable {
    /// The limits; nil means not watched.
    public struct Limits: Sendable, Equatable {
        /// Dead-lettered events over consumed events since the fence (0...1).
        public var maxDeadLetterRate: Double?
        /// The worst p99 batch apply time of the new color's live workers, seconds.
        public var maxP99Seconds: Double?
        /// The age of the oldest unapplied event on a watched partition, seconds.
        public var maxLagSeconds: Double?
        /// A dead-letter rate is judged only once this many events were consumed (so that one
        /// bad event among the first few does not roll a release back).
        public var minimumEvents: Int64 = 20

        public init(maxDeadLetterRate: Double? = nil, maxP99Seconds: Double? = nil, maxLagSeconds: Double? = nil) {
            self.maxDeadLetterRate = maxDeadLetterRate
            self.maxP99Seconds = maxP99Seconds
            self.maxLagSeconds = maxLagSeconds
        }
    }

    /// The figures at one look.
    public struct Reading: Sendable, Equatable {
        /// Events consumed on the watched partitions since the fence (applied, duplicates,
        /// dead-lettered).
        public var consumed: Int64
        public var deadLettered: Int64
        public var p99Seconds: Double?
        public var lagSeconds: Double?

        public init(consumed: Int64, deadLettered: Int64, p99Seconds: Double? = nil, lagSeconds: Double? = nil) {
            self.consumed = consumed
            self.deadLettered = deadLettered
            self.p99Seconds = p99Seconds
            self.lagSeconds = lagSeconds
        }

        public var deadLetterRate: Double { consumed > 0 ? Double(deadLettered) / Double(consumed) : 0 }
    }

    /// The first limit `reading` breaks, said with its value; nil when none.
    public static func breach(_ reading: Reading, limits: Limits) -> String? {
        if let max = limits.maxDeadLetterRate, reading.consumed >= limits.minimumEvents, reading.deadLetterRate > max {
            return "dead-letter rate \(percent(reading.deadLetterRate)) > \(percent(max)) "
                + "(\(reading.deadLettered) of \(reading.consumed) events)"
        }
        if let max = limits.maxP99Seconds, let p99 = reading.p99Seconds, p99 > max {
            return "p99 apply time \(milliseconds(p99)) > \(milliseconds(max))"
        }
        if let max = limits.maxLagSeconds, let lag = reading.lagSeconds, lag > max {
            return "lag \(seconds(lag)) > \(seconds(max))"
        }
        return nil
    }

    /// `5m`, `30s`, `500ms`, `2h` or a bare number of seconds; nil when not positive.
    public static func duration(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            // "5ms" ends in "s" too: the longer suffix is tried first.
            guard let value = Double(number), value.isFinite, value > 0 else { return nil }
            return value * scale
        }
        guard let value = Double(text), value.isFinite, value > 0 else { return nil }
        return value
    }

    static func percent(_ fraction: Double) -> String { String(Double(Int((fraction * 1000).rounded())) / 10) + "%" }
    static func milliseconds(_ seconds: Double) -> String { "\(Int((seconds * 1000).rounded())) ms" }
    static func seconds(_ value: Double) -> String { String(Double(Int((value * 10).rounded())) / 10) + " s" }
}
