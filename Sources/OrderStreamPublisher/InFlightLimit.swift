import Synchronization

/// A counting semaphore for async code: at most `limit` holders; `acquire` suspends (never
/// blocks a thread) while all permits are out, and waiters are served first come, first served.
///
/// Exists so a publisher faster than its broker waits instead of queueing without bound.
final class InFlightLimit: Sendable {
    private struct State {
        var available: Int
        var inUse = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
        var waiterHead = 0
    }

    private let state: Mutex<State>
    let limit: Int

    init(limit: Int) {
        self.limit = limit
        state = Mutex(State(available: limit))
    }

    /// Permits held right now.
    var inUse: Int { state.withLock { $0.inUse } }

    func acquire() async {
        // Fast path without a continuation.
        let acquired = state.withLock { state -> Bool in
            guard state.available > 0 else { return false }
            state.available -= 1
            state.inUse += 1
            return true
        }
        if acquired { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.available > 0 {
                    state.available -= 1
                    state.inUse += 1
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Returns a permit: hands it straight to the oldest waiter if there is one.
    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiterHead < state.waiters.count {
                let waiter = state.waiters[state.waiterHead]
                state.waiterHead += 1
                if state.waiterHead > 1_024 && state.waiterHead * 2 > state.waiters.count {
                    state.waiters.removeFirst(state.waiterHead)
                    state.waiterHead = 0
                }
                return waiter  // the permit passes on: inUse unchanged
            }
            state.available += 1
            state.inUse -= 1
            return nil
        }
        next?.resume()
    }
}
