import Kafka
import OrderStreamDomain

/// Which partitions a canary moves (pure).
///
/// An order's events are keyed by `order_id` on both topics, and the topics have the same number
/// of partitions, so an order's `orders` and `payments` events share a partition number. A canary
/// moves whole partition numbers on both topics: the canary color then sees every event of the
/// orders it serves, and the analysis compares like with like.
public enum CanarySelection {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case invalidList(String)
        case invalidShare(String)
        case unknownPartitions([TopicPartition])
        case everything

        public var description: String {
            switch self {
            case .invalidList(let why): "--partitions: \(why) (expected e.g. orders:0,3,payments:0,3)"
            case .invalidShare(let given):
                "--share must be a percentage above 0 and below 100, e.g. 25%, not '\(given)'"
            case .unknownPartitions(let partitions):
                "the group has no position for \(partitions.map(\.description).joined(separator: ", ")) (no worker consumed it)"
            case .everything:
                "a canary must leave some partitions to the active color: use a full cutover (no --share/--partitions)"
            }
        }
    }

    /// `orders:0,3,payments:0,3`: a `topic:` prefix names the topic of the numbers that follow.
    public static func parse(_ text: String) -> Result<[TopicPartition], Failure> {
        var topic: String?
        var chosen: [TopicPartition] = []
        for token in text.split(separator: ",", omittingEmptySubsequences: false).map({
            $0.trimmingCharacters(in: .whitespaces)
        }) {
            var number = Substring(token)
            if let colon = token.firstIndex(of: ":") {
                let name = String(token[..<colon])
                guard Topic(rawValue: name) != nil else { return .failure(.invalidList("unknown topic '\(name)'")) }
                topic = name
                number = token[token.index(after: colon)...]
            }
            guard let topic else { return .failure(.invalidList("'\(token)' has no topic before it")) }
            guard let partition = Int32(number), partition >= 0 else {
                return .failure(.invalidList("'\(token)' is not a partition number"))
            }
            let item = TopicPartition(topic: topic, partition: partition)
            if !chosen.contains(item) { chosen.append(item) }
        }
        return chosen.isEmpty ? .failure(.invalidList("no partition given")) : .success(chosen.sorted())
    }

    /// `25%` or `25` (percent) as a fraction in (0, 1).
    public static func share(_ text: String) -> Result<Double, Failure> {
        let digits = text.hasSuffix("%") ? String(text.dropLast()) : text
        guard let percent = Double(digits), percent.isFinite, percent > 0, percent < 100 else {
            return .failure(.invalidShare(text))
        }
        return .success(percent / 100)
    }

    /// The partitions of `share` of the group's partition numbers, spread evenly, on every topic
    /// that has them; at least one number, never all of them.
    public static func partitions(share: Double, of existing: [TopicPartition]) -> Result<[TopicPartition], Failure> {
        let numbers = Array(Set(existing.map(\.partition))).sorted()
        guard !numbers.isEmpty else { return .failure(.unknownPartitions([])) }
        let count = min(max(1, Int((share * Double(numbers.count)).rounded(.up))), numbers.count)
        guard count < numbers.count else { return .failure(.everything) }
        let picked = Set((0..<count).map { numbers[$0 * numbers.count / count] })
        return .success(existing.filter { picked.contains($0.partition) }.sorted())
    }

    /// Refuses partitions the group has no position for, and a selection of every partition.
    public static func check(
        _ chosen: [TopicPartition], existing: [TopicPartition]
    ) -> Result<[TopicPartition], Failure> {
        let unknown = chosen.filter { !existing.contains($0) }
        if !unknown.isEmpty { return .failure(.unknownPartitions(unknown)) }
        if Set(chosen) == Set(existing) { return .failure(.everything) }
        return .success(chosen)
    }
}
