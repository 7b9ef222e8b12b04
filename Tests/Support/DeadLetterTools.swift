import Foundation
import Kafka
import OrderStreamDomain

/// What the dead-letter tests do again and again: run `orderstream` against a cluster and a
/// database, read JSON answers, count what the broker holds, and read the worker's rejections.
public struct DeadLetterTools: Sendable {
    public let cluster: TestCluster
    public let databaseURL: String

    public init(cluster: TestCluster, databaseURL: String) {
        self.cluster = cluster
        self.databaseURL = databaseURL
    }

    public var environment: [String: String] {
        ["ORDERSTREAM_KAFKA_BROKERS": cluster.bootstrap, "ORDERSTREAM_DATABASE_URL": databaseURL]
    }

    /// `orderstream <arguments>` against this cluster and database.
    public func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try ProcessRunner.orderstream(arguments, environment: environment)
    }

    /// `orderstream <arguments> --json`, parsed; fails the caller with the output when it is not JSON.
    public func json(_ arguments: [String]) throws -> JSONValue {
        let answer = try run(arguments + ["--json"])
        guard answer.status == 0, let parsed = try? JSONParser.parse(Array(answer.stdout.utf8)) else {
            throw TestEnvironment.Missing(
                description:
                    "orderstream \(arguments.joined(separator: " ")) --json: status \(answer.status), \(answer.stdout) \(answer.stderr)"
            )
        }
        return parsed
    }

    /// `dlq list --json` with `filters`, as the letters' objects.
    public func letters(_ filters: [String] = []) throws -> [[String: JSONValue]] {
        (try json(["dlq", "list"] + filters).arrayValue ?? []).compactMap(\.objectValue)
    }

    /// Writes `text` to a new file in the test's temporary folder; its path.
    public static func file(_ name: String, _ text: String) throws -> String {
        let path =
            (ProcessInfo.processInfo.environment["ORDERSTREAM_TEST_TMP"] ?? NSTemporaryDirectory())
            + "/\(name)-\(UUID().uuidString.prefix(6))"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The sum of the high watermarks of `topics` (how many messages were ever written to them).
    public func messagesIn(_ topics: [String]) throws -> Int64 {
        let consumer = try KafkaConsumer(
            configuration: ["bootstrap.servers": cluster.bootstrap, "group.id": "counter"],
            logger: TestEnvironment.logger("counter"))
        defer { consumer.close() }
        var total: Int64 = 0
        for topic in topics {
            for partition in 0..<cluster.partitions {
                total += try consumer.watermarks(topic: topic, partition: partition, timeout: .seconds(5)).high
            }
        }
        return total
    }

    /// `orderstream_events_rejected_total` per reason from a worker's `/metrics` text.
    public static func rejectedByReason(metrics: String) -> [String: Int64] {
        var counts: [String: Int64] = [:]
        for line in metrics.split(separator: "\n") where line.hasPrefix("orderstream_events_rejected_total{reason=\"") {
            let rest = line.dropFirst("orderstream_events_rejected_total{reason=\"".count)
            guard let quote = rest.firstIndex(of: "\""), let space = rest.lastIndex(of: " "),
                let value = Double(rest[rest.index(after: space)...])
            else { continue }
            if value > 0 { counts[String(rest[..<quote])] = Int64(value) }
        }
        return counts
    }
}
