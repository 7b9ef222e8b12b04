import Foundation

/// A named OS thread for a long-lived blocking loop (librdkafka's poll loops, the apply lanes,
/// the control watcher), kept off Swift's cooperative pool, that can be joined. One-off
/// blocking calls use `Blocking.run` instead.
public final class DedicatedThread: Sendable {
    private let finished = LockedValue(false)

    public init(name: String, body: @escaping @Sendable () -> Void) {
        let finished = self.finished
        let thread = Thread {
            body()
            finished.withLockNotifying { $0 = true }
        }
        thread.name = name
        thread.start()
    }

    /// Waits until the body returned, or `deadline` (nil: no deadline). True when it returned.
    @discardableResult
    public func join(until deadline: ContinuousClock.Instant? = nil) -> Bool {
        finished.wait(until: deadline) { $0 }
    }
}
