import Foundation
import Synchronization

/// Names and threads for every test target: one copy (the Kafka and PostgreSQL layer tests
/// had their own).
extension TestEnvironment {
    /// A fresh name, unique per call: `prefix`, `separator`, then `length` lowercase hex
    /// characters of a UUID; safe unquoted in SQL (with `_`) and as a Kafka topic or group.
    public static func uniqueName(_ prefix: String, separator: String = "_", length: Int = 12) -> String {
        let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(length).lowercased()
        return "\(prefix)\(separator)\(suffix)"
    }

    /// Runs blocking `body` on a fresh thread (never on the cooperative pool) and awaits it.
    public static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let result: Result<T, any Error> = await withCheckedContinuation { continuation in
            let thread = Thread {
                do { continuation.resume(returning: .success(try body())) } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
            thread.start()
        }
        return try result.get()
    }

    /// Runs `body(i)` for i in 0..<count, each on its own `Thread`, and waits for all
    /// without blocking the caller's (cooperative) thread.
    public static func onThreads<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) async -> [T] {
        let results = Mutex<[Int: T]>([:])
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let group = DispatchGroup()
            for index in 0..<count {
                group.enter()
                let thread = Thread {
                    let value = body(index)
                    results.withLock { $0[index] = value }
                    group.leave()
                }
                thread.start()
            }
            group.notify(queue: .global()) { continuation.resume() }
        }
        return results.withLock { values in (0..<count).map { values[$0]! } }
    }
}
