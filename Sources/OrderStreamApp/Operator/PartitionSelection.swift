import ArgumentParser
import Kafka
import OrderStreamDomain
import OrderStreamWorker

/// `--topic T [--partition P]` and `--actor`: which partitions an operator command changes, and
/// who changes them (recorded in the `operations` audit).
struct PartitionSelection: ParsableArguments, Sendable {
    @Option(help: "The topic: orders or payments.")
    var topic: String

    @Option(
        parsing: .unconditional,
        help: "One partition of the topic (default: every partition of the topic that has a position).")
    var partition: Int32?

    @Option(help: "Who runs the command, for the audit (default: $USER@host).")
    var actor: String?

    func validate() throws {
        guard Topic(rawValue: topic) != nil else {
            throw ValidationError(
                "--topic must be one of \(Topic.allCases.map(\.rawValue).joined(separator: ", ")), not '\(topic)'")
        }
        if let partition, partition < 0 { throw ValidationError("--partition must be 0 or more, not \(partition)") }
        if case .failure(let error) = OperationsLog.actor(given: actor) { throw ValidationError("\(error)") }
    }

    func resolvedActor() throws -> String {
        try OperationsLog.actor(given: actor).get()
    }

    /// The selected partitions among the group's position rows; refuses a selection with none.
    func partitions(in rows: [OperatorPositions.Row], group: String) throws -> [TopicPartition] {
        let chosen = rows.map(\.partition).filter {
            $0.topic == topic && (partition == nil || $0.partition == partition)
        }
        guard !chosen.isEmpty else {
            throw OperatorPositions.Failure.noPartitions(group: group, topic: topic, partition: partition)
        }
        return chosen
    }

    /// How the command was called, for the audit.
    func describe(_ rest: String) -> String {
        "--topic \(topic)" + (partition.map { " --partition \($0)" } ?? "") + (rest.isEmpty ? "" : " " + rest)
    }
}
