import Foundation
import Kafka
import OrderStreamCommon

/// The partitions this worker holds, shared by the polling thread (which fills them and
/// pauses them) and the apply lanes (which take batches from them): the lock, the waiting and
/// the clock around `PartitionStates`, which holds every rule (see there).
///
/// `@unchecked Sendable`: `states` and `stopDeadline` are read and written only while
/// `condition` is locked (NSCondition is a mutex with a condition variable); the lanes, the
/// revoke and the drain wait on it, and every change wakes them.
final class PartitionTable: @unchecked Sendable {
    typealias Work = PartitionStates.Work

    private let condition = NSCondition()
    private var states: PartitionStates
    private var stopDeadline = Date.distantFuture

    let laneCount: Int

    init(laneCount: Int) {
        states = PartitionStates(laneCount: laneCount)
        self.laneCount = states.laneCount
    }

    func lane(for partition: TopicPartition) -> Int {
        states.lane(for: partition)
    }

    // MARK: polling thread

    func assign(_ partitions: [TopicPartition: PartitionStates.Assignment]) {
        changing { $0.assign(partitions) }
    }

    func append(_ messages: [ConsumedMessage]) {
        guard !messages.isEmpty else { return }
        changing { $0.append(messages) }
    }

    func fetchPlan(limit: Int) -> PartitionStates.FetchPlan {
        reading { $0.fetchPlan(limit: limit) }
    }

    /// Releases revoked partitions: forgets them (buffers included), then waits (bounded) until
    /// no lane is applying them any more. Returns the lanes still applying one of them when
    /// `timeout` ran out, so the caller can cancel their statements. Whatever such a late
    /// statement does is safe: it either commits before the next owner reads the position, or
    /// fails its compare-and-set.
    func revoke(_ partitions: [TopicPartition], timeout: Duration) -> Set<Int> {
        let deadline = Date().addingTimeInterval(timeout.seconds)
        condition.lock()
        defer { condition.unlock() }
        let busyLanes = states.revoke(partitions)
        condition.broadcast()
        while !states.stillInFlight(partitions).isEmpty {
            if !condition.wait(until: deadline) { break }
        }
        return Set(states.stillInFlight(partitions).map { states.lane(for: $0) }).intersection(busyLanes)
    }

    func requestRefreshAll() {
        changing { $0.requestRefreshAll() }
    }

    func activePositions() -> [TopicPartitionOffset] {
        reading { $0.activePositions() }
    }

    func unappliedHeads() -> [TopicPartition: PartitionStates.UnappliedHead] {
        reading { $0.unappliedHeads() }
    }

    var heldPartitions: [TopicPartition] { reading(\.heldPartitions) }

    /// The lanes were told to stop.
    var stopping: Bool { reading(\.isStopping) }

    /// The lanes were told to stop and the drain deadline has passed: in-flight work is
    /// abandoned (rolled back) rather than retried.
    var pastStopDeadline: Bool {
        condition.lock()
        defer { condition.unlock() }
        return states.isStopping && Date() >= stopDeadline
    }

    func holdsAny(_ partitions: [TopicPartition]) -> Bool {
        reading { $0.holdsAny(partitions) }
    }

    var activeCount: Int { reading(\.activeCount) }

    var isEmpty: Bool { reading { $0.entries.isEmpty } }

    func pendingSeeks() -> [TopicPartitionOffset] {
        reading { $0.pendingSeeks() }
    }

    func seeked(_ done: [TopicPartitionOffset]) {
        changing { $0.seeked(done) }
    }

    /// Stops the lanes: they finish the batch in hand (until `deadline`) and take nothing more.
    func stop(deadline: Date) {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        stopDeadline = deadline
        states.stop()
    }

    /// Waits until no partition is in flight, or `deadline`. True when idle.
    func waitIdle(until deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !states.isIdle {
            if !condition.wait(until: deadline) { return states.isIdle }
        }
        return true
    }

    // MARK: lanes

    /// Blocks until lane `lane` has work (up to `maxMessages` messages, or partitions to
    /// refresh), or the table stops, or `wait` passes. Marks the taken partitions in flight.
    func take(lane: Int, maxMessages: Int, wait: Duration) -> Work? {
        let deadline = Date().addingTimeInterval(wait.seconds)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let work = states.take(lane: lane, maxMessages: maxMessages) { return work }
            if states.isStopping || !condition.wait(until: deadline) { return nil }
        }
    }

    func committed(_ newPositions: [TopicPartition: Int64]) {
        changing { $0.committed(newPositions) }
    }

    func progressed(_ newPositions: [TopicPartition: Int64]) {
        changing { $0.progressed(newPositions) }
    }

    func release(_ partitions: [TopicPartition]) {
        changing { $0.release(partitions) }
    }

    func refreshed(_ rows: [TopicPartition: PartitionStates.PositionRow]) {
        changing { $0.refreshed(rows) }
    }

    func fenced(_ partitions: [TopicPartition]) {
        changing { $0.fenced(partitions) }
    }

    /// Reads the states under the lock without waking anyone.
    private func reading<T>(_ body: (PartitionStates) -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body(states)
    }

    /// Changes the states under the lock and wakes every waiter.
    private func changing(_ body: (inout PartitionStates) -> Void) {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        body(&states)
    }
}
