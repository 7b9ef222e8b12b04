import OrderStreamCommon
import Synchronization

@testable import Kafka

/// A rebalance handler for tests: records every call, checks inside the revoke that
/// the revoked partitions are still assigned (i.e. not yet released), returns explicit
/// start offsets, and notes the first offset consumed per partition after each assign.
final class RecordingRebalanceHandler: KafkaRebalanceHandler {
    struct Revoke: Sendable {
        var partitions: [TopicPartition]
        var lost: Bool
        /// Whether `assignment()` still contained every revoked partition inside the handler.
        var stillAssignedInHandler: Bool
    }

    struct State {
        var revokes: [Revoke] = []
        var assigns: [[TopicPartition]] = []
        var awaitingFirst: Set<TopicPartition> = []
        var firstOffsets: [(TopicPartition, Int64)] = []
    }

    let state = LockedValue(State())
    /// Set after the consumer exists; cleared after close to break the cycle.
    let consumer = LockedValue<KafkaConsumer?>(nil)
    let explicitOffsets: [TopicPartition: Int64]

    init(explicitOffsets: [TopicPartition: Int64] = [:]) {
        self.explicitOffsets = explicitOffsets
    }

    func partitionsRevoked(_ partitions: [TopicPartition], lost: Bool) {
        let current = (try? consumer.withLock { $0 }?.assignment()) ?? []
        let still = Set(partitions).isSubset(of: Set(current))
        state.withLock { $0.revokes.append(Revoke(partitions: partitions, lost: lost, stillAssignedInHandler: still)) }
    }

    func partitionsAssigned(_ partitions: [TopicPartition]) -> [TopicPartition: Int64] {
        state.withLock {
            $0.assigns.append(partitions)
            $0.awaitingFirst.formUnion(partitions)
        }
        return explicitOffsets.filter { partitions.contains($0.key) }
    }

    /// Called by the polling thread for each consumed batch.
    func observe(_ messages: [KafkaMessage]) {
        state.withLock { state in
            guard !state.awaitingFirst.isEmpty else { return }
            for message in messages where state.awaitingFirst.contains(message.topicPartition) {
                state.awaitingFirst.remove(message.topicPartition)
                state.firstOffsets.append((message.topicPartition, message.offset))
            }
        }
    }
}
