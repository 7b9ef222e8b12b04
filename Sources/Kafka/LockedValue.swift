import Foundation

/// A value behind an `NSLock` (a pthread mutex), for the state the Kafka clients share between
/// their poll threads and their callers (producer core, consumer, mock cluster).
///
/// Not `Synchronization.Mutex`: on Linux its lock is invisible to ThreadSanitizer (measured: a
/// Mutex-guarded array appended to by four threads is reported as a race), so the sanitizer run
/// (scripts/tsan.sh) could not check these clients and reported false races; a pthread mutex it
/// sees. The cost is one
/// uncontended lock per send either way.
///
/// `@unchecked Sendable`: `value` is only read or written inside `withLock`, under `lock`.
final class LockedValue<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
