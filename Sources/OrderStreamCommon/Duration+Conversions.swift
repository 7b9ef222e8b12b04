/// The Duration conversions the layers need, in one place.
extension Duration {
    /// The duration in seconds, as a `TimeInterval`.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// Whole milliseconds, truncated toward zero (saturating at `Int64`'s bounds).
    public var milliseconds: Int64 {
        let (whole, overflow) = components.seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return components.seconds < 0 ? .min : .max }
        let (sum, overflowSum) = whole.addingReportingOverflow(components.attoseconds / 1_000_000_000_000_000)
        return overflowSum ? (whole < 0 ? .min : .max) : sum
    }

    /// Whole milliseconds clamped to `0...Int32.max`: a C timeout (librdkafka, poll(2)).
    public var clampedMilliseconds: Int32 {
        Int32(clamping: max(0, milliseconds))
    }
}
