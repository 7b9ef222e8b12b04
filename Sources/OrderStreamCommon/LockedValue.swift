import Foundation

/// A value behind an `NSCondition` (a pthread mutex and condition variable), for state shared
/// between a client's own threads and its callers (Kafka producer core and consumer, mock
/// cluster), where a caller sometimes has to wait for a change (calls in flight to end, room in
/// a full queue) instead of spinning.
///
/// Not `Synchronization.Mutex`: on Linux its lock is invisible to ThreadSanitizer (measured: a
/// Mutex-guarded array appended to by four threads is reported as a race), so the sanitizer run
/// (scripts/tsan.sh) could not check these clients and reported false races; a pthread mutex it
/// sees. The cost is one uncontended lock per send either way.
///
/// `@unchecked Sendable`: `value` is only read or written with `condition` locked.
public final class LockedValue<Value>: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: Value

    public init(_ value: Value) {
        self.value = value
    }

    /// Reads or changes the value under the lock; waiters are not woken.
    public func withLock<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        condition.lock()
        defer { condition.unlock() }
        return try body(&value)
    }

    /// Changes the value under the lock and wakes every `wait`er to look at it again. Use it
    /// for the changes somebody waits for.
    public func withLockNotifying<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        return try body(&value)
    }

    /// Blocks the calling thread until `predicate` holds (checked under the lock, again after
    /// every `withLockNotifying`) or `deadline` passes (nil: no deadline). True when it holds.
    @discardableResult
    public func wait(until deadline: ContinuousClock.Instant? = nil, for predicate: (Value) -> Bool) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !predicate(value) {
            guard let deadline else {
                condition.wait()
                continue
            }
            let remaining = deadline - .now
            if remaining <= .zero { return false }
            _ = condition.wait(until: Date(timeIntervalSinceNow: remaining.seconds))
        }
        return true
    }
}
