import Foundation
import Logging
import OrderStreamTestSupport
import Synchronization
import Testing

@testable import Kafka

/// What only the Kafka tests need; loggers, unique names, bounded waits and threads come from
/// `TestEnvironment` (OrderStreamTestSupport).
enum TestSupport {
    /// Consumer settings that make mock-broker rebalances take ~3 s instead of ~44 s.
    static func consumerConfiguration(_ cluster: KafkaMockCluster, group: String) -> KafkaConfiguration {
        [
            "bootstrap.servers": cluster.bootstrapServers,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "session.timeout.ms": "4000",
            "heartbeat.interval.ms": "300",
        ]
    }

    static func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }
    static func string(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }
}

/// The outer suite: every Kafka test runs serialized, so timing-sensitive rebalances
/// and the throughput measurement do not compete for the machine's two cores.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct KafkaTests {}
