import Foundation

/// A named OS thread for blocking C work (librdkafka polling, libpq sessions), kept off Swift's
/// cooperative pool, that can be joined.
final class DedicatedThread: Sendable {
    private let done = DispatchSemaphore(value: 0)

    init(name: String, body: @escaping @Sendable () -> Void) {
        let done = self.done
        let thread = Thread {
            body()
            done.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Waits until the body returned, or `deadline`. True when it returned.
    @discardableResult
    func join(until deadline: DispatchTime = .distantFuture) -> Bool {
        guard done.wait(timeout: deadline) == .success else { return false }
        done.signal()  // later joins return at once
        return true
    }

    /// Runs blocking `body` on a new dedicated thread and awaits its result without blocking
    /// the cooperative pool.
    static func run<T: Sendable>(name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            _ = DedicatedThread(name: name) {
                continuation.resume(with: Result { try body() })
            }
        }
    }
}
