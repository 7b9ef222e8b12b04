import Dispatch
import Kafka
import Synchronization

/// The dead letters of one batch, sent and not yet (or just) acknowledged by the broker: what
/// `DeadLetterPublisher.send` returns, so that the lane can run the batch's statement while the
/// broker acknowledges, and commit only once it has (`BatchApplier.apply(_:fence:on:afterDeadLetters:)`).
final class DeadLetterDelivery: Sendable {
    private let group = DispatchGroup()
    private let firstError = Mutex<KafkaError?>(nil)

    /// One more message is on its way; `delivered` must follow exactly once.
    func sending() { group.enter() }

    /// A message's delivery report (or its failure to be enqueued at all).
    func delivered(_ error: KafkaError?) {
        if let error { firstError.withLock { if $0 == nil { $0 = error } } }
        group.leave()
    }

    /// Waits up to `timeout` (nil: for as long as it takes) for every report. True when every
    /// message was acknowledged, false when `timeout` passed first; throws the first delivery
    /// error once every report is in (the caller sends the whole set again: a dead letter may be
    /// written twice, never zero times).
    func wait(timeout: Duration?) throws(KafkaError) -> Bool {
        if let timeout {
            let nanoseconds = max(0, min(timeout.milliseconds, 86_400_000)) * 1_000_000
            if group.wait(timeout: .now() + .nanoseconds(Int(nanoseconds))) == .timedOut { return false }
        } else {
            group.wait()
        }
        if let error = firstError.withLock({ $0 }) { throw error }
        return true
    }

    /// Every report is in and one of them was a failure (non-blocking).
    var failed: Bool {
        group.wait(timeout: .now()) == .success && firstError.withLock { $0 } != nil
    }
}
