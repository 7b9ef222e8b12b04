import Dispatch

/// The one way to run a blocking C call (libpq, librdkafka) from async code: on a concurrent
/// dispatch queue outside Swift's cooperative pool, resuming the caller when the call returns.
///
/// Why a dispatch queue: it keeps a few threads warm and makes new ones when its threads block
/// (so a slow broker or database cannot starve the other calls), where a thread per call paid
/// for a thread start on every HTTP read. Long-lived loops that must own one thread (the
/// consumer's poll thread, which the rebalance callback blocks, the apply lanes, the producer's
/// poll thread) use `DedicatedThread` instead.
public enum Blocking {
    private static let queue = DispatchQueue(label: "orderstream.blocking", attributes: .concurrent)

    /// Runs `body` off the cooperative pool and returns its result.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }

    /// Runs `body` off the cooperative pool and returns its result or rethrows its error.
    public static func run<T: Sendable, Failure: Error>(
        _ body: @escaping @Sendable () throws(Failure) -> T
    ) async throws(Failure) -> T {
        let result: Result<T, Failure> = await run { () -> Result<T, Failure> in
            do throws(Failure) { return .success(try body()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Starts `body` off the cooperative pool without waiting for it: for a close that a
    /// `deinit` must not run on whichever thread dropped the last reference.
    public static func detach(_ body: @escaping @Sendable () -> Void) {
        queue.async(execute: body)
    }
}
