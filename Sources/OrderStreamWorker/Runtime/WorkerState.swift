import Kafka
import Synchronization

/// What `/health/ready` reports, kept up to date by the runtime's threads.
public final class WorkerState: Sendable {
    /// Where the worker is in its life.
    public enum Phase: String, Sendable {
        case starting, running, draining, stopped
    }

    /// The readiness answer: ready or not, and why, as the HTTP layer returns it.
    public struct Readiness: Sendable, Equatable {
        public var ready: Bool
        public var phase: String
        public var role: String
        public var reasons: [String]

        public init(ready: Bool, phase: String, role: String, reasons: [String]) {
            self.ready = ready
            self.phase = phase
            self.role = role
            self.reasons = reasons
        }
    }

    struct Snapshot {
        var phase: Phase = .starting
        var databaseUp = false
        var kafkaUp = true
        var joined = false
        var active = false
        var fencedAtEpoch: Int64?
        var lastKafkaError: String?
        /// Partitions whose batch keeps failing, with the last reason (cleared by a commit).
        var stalled: [TopicPartition: String] = [:]
    }

    private let snapshot = Mutex(Snapshot())

    public init() {}

    func update(_ change: (inout Snapshot) -> Void) {
        snapshot.withLock { change(&$0) }
    }

    public var phase: Phase { snapshot.withLock { $0.phase } }

    /// This worker's color owns the partitions (not standby, not fenced out).
    var isActive: Bool { snapshot.withLock { $0.active } }

    /// Whether PostgreSQL and Kafka were reachable at the last attempt.
    var connectivity: (database: Bool, kafka: Bool) { snapshot.withLock { ($0.databaseUp, $0.kafkaUp) } }

    public func readiness() -> Readiness {
        snapshot.withLock { s in
            var reasons: [String] = []
            if s.phase != .running { reasons.append("worker is \(s.phase.rawValue)") }
            if !s.databaseUp { reasons.append("PostgreSQL is unreachable") }
            if !s.kafkaUp { reasons.append("Kafka is unreachable: \(s.lastKafkaError ?? "unknown error")") }
            if !s.joined { reasons.append("not yet a member of the consumer group") }
            for (partition, reason) in s.stalled.sorted(by: { $0.key < $1.key }) {
                reasons.append("partition \(partition) is stalled, retrying: \(reason)")
            }
            var role = s.active ? "active" : "standby"
            if let epoch = s.fencedAtEpoch { role += ", fenced out by epoch \(epoch)" }
            return Readiness(ready: reasons.isEmpty, phase: s.phase.rawValue, role: role, reasons: reasons)
        }
    }
}
