import Dispatch
import Foundation
import OrderStreamDomain
import Synchronization

extension ValidatedBatch {
    /// Messages per slice of the parallel validation: below twice this, a batch is validated on
    /// the lane's own thread (the latency phase's small batches pay no hand-over).
    static let validationSlice = 256

    /// At most this many slices: twice the processors, so that a slice that waited for a core
    /// does not hold the others back.
    static let validationSlices = 2 * ProcessInfo.processInfo.activeProcessorCount

    /// Each message's verdict, in the messages' order: its `setAside` rejection, else the
    /// contract's (`EventValidator`, pure).
    ///
    /// Why in parallel: validating (JSON parsing) was about 40 % of the worker's CPU, and the
    /// lane does it between two statements, while its PostgreSQL session waits for the next one;
    /// with the lane's session idle, a core is free for the other half (docs/BENCHMARKS.md,
    /// "Validation in parallel slices"). Moving it to the poll thread instead was measured and
    /// made the worker slower: one thread then parsed every message, was preempted by the
    /// PostgreSQL backends, and the lanes waited for messages.
    ///
    /// `concurrentPerform` runs the slices on Dispatch's worker threads and on this thread, and
    /// returns when all are done. Validation is CPU only (no blocking call, no I/O).
    static func verdicts(
        of messages: [ConsumedMessage], setAside: [MessageCoordinates: Rejection]
    ) -> [ValidationOutcome] {
        @Sendable func verdict(_ message: ConsumedMessage) -> ValidationOutcome {
            setAside[MessageCoordinates(message)].map(ValidationOutcome.rejected)
                ?? EventValidator.validate(topic: message.partition.topic, key: message.key, value: message.value)
        }
        let slices = min(validationSlices, messages.count / validationSlice)
        guard slices > 1 else { return messages.map(verdict) }
        let size = (messages.count + slices - 1) / slices
        let parts = Mutex([[ValidationOutcome]](repeating: [], count: slices))
        DispatchQueue.concurrentPerform(iterations: slices) { slice in
            let start = min(slice * size, messages.count)
            let part = messages[start..<min(start + size, messages.count)].map(verdict)
            parts.withLock { $0[slice] = part }
        }
        return parts.withLock { $0.flatMap { $0 } }
    }
}
