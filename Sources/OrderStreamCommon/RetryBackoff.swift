import Foundation

/// The one retry policy: exponential backoff with jitter.
///
/// Each `nextDelay()` returns the current base delay scaled by a random factor in
/// `1 - jitter ... 1` (so retries of many workers against one database spread out instead
/// of arriving together), then doubles the base up to `maximum`. `reset()` after a success.
/// The random source is injectable, so the policy is tested without sleeping.
public struct RetryBackoff: Sendable {
    public let initial: Duration
    public let maximum: Duration
    public let multiplier: Double
    /// The fraction of each delay that is random, `0...1` (0: no jitter).
    public let jitter: Double
    private var base: Duration
    private var random: @Sendable () -> Double

    /// - Parameter random: returns a value in `0..<1`; the system generator by default.
    public init(
        initial: Duration, maximum: Duration, multiplier: Double = 2, jitter: Double = 0.2,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        precondition(initial > .zero && maximum >= initial && multiplier >= 1 && (0...1).contains(jitter))
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
        self.jitter = jitter
        self.base = initial
        self.random = random
    }

    /// A fixed delay (no growth) with jitter: `delay * (1 - jitter ... 1)` every time.
    public static func constant(_ delay: Duration, jitter: Double = 0.2) -> RetryBackoff {
        RetryBackoff(initial: delay, maximum: delay, jitter: jitter)
    }

    /// The delay before the next retry; advances the policy.
    public mutating func nextDelay() -> Duration {
        let factor = 1 - jitter * min(max(random(), 0), 1)
        let delay = factor == 1 ? base : base * factor
        let grown = multiplier == multiplier.rounded() ? base * Int(multiplier) : base * multiplier
        base = min(grown, maximum)
        return delay
    }

    /// Back to `initial` (after a success).
    public mutating func reset() {
        base = initial
    }

    /// Blocks the calling (dedicated, never cooperative) thread for `nextDelay()`.
    public mutating func sleep() {
        Thread.sleep(forTimeInterval: nextDelay().seconds)
    }

    /// Suspends the task for `nextDelay()` (returns early, without throwing, when cancelled).
    public mutating func sleepAsync() async {
        try? await Task.sleep(for: nextDelay())
    }
}
