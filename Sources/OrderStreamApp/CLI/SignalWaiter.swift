import Dispatch
import Foundation

/// Waits for SIGTERM or SIGINT, for commands that run until stopped (`broker`).
enum SignalWaiter {
    static func waitForTermination() async -> Int32 {
        await withCheckedContinuation { continuation in
            let queue = DispatchQueue(label: "orderstream.signals")
            let resumed = ResumeOnce(continuation)
            var sources: [any DispatchSourceSignal] = []
            for number in [SIGTERM, SIGINT] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler { resumed.resume(number) }
                source.resume()
                sources.append(source)
            }
            SignalSources.keep(sources)
        }
    }
}

/// Keeps the signal sources alive for the life of the process.
private enum SignalSources {
    nonisolated(unsafe) static var retained: [any DispatchSourceSignal] = []

    static func keep(_ sources: [any DispatchSourceSignal]) {
        // Written once, from the single command that waits for signals, before any signal
        // can arrive; never read. `nonisolated(unsafe)` is safe for that one write.
        retained = sources
    }
}

/// Resumes a continuation at most once, whichever signal comes first.
private final class ResumeOnce: @unchecked Sendable {
    // @unchecked Sendable: `continuation` is read and cleared only under `lock`.
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Int32, Never>?

    init(_ continuation: CheckedContinuation<Int32, Never>) {
        self.continuation = continuation
    }

    func resume(_ value: Int32) {
        lock.lock()
        let pending = continuation
        continuation = nil
        lock.unlock()
        pending?.resume(returning: value)
    }
}
