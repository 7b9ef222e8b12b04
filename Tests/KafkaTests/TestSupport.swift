import Foundation
@testable import Kafka
import Logging
import Synchronization
import Testing

/// Shared helpers for the Kafka tests: loggers, unique names, bounded waits and
/// running blocking Kafka calls on their own thread (never on the cooperative pool).
enum TestSupport {
    static func logger(_ label: String) -> Logger {
        var logger = Logger(label: "test.\(label)")
        logger.logLevel = .warning
        return logger
    }

    static func unique(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

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

    /// Runs blocking `body` on a fresh thread and awaits its result.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let result: Result<T, any Error> = await withCheckedContinuation { continuation in
            let thread = Thread {
                do { continuation.resume(returning: .success(try body())) } catch { continuation.resume(returning: .failure(error)) }
            }
            thread.start()
        }
        return try result.get()
    }

    /// Polls `condition` every 20 ms until it holds or `timeout` passes; returns whether it held.
    static func waitUntil(timeout: Duration, _ condition: @Sendable () throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return try condition()
    }

    static func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }
    static func string(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }
}

/// The outer suite: every Kafka test runs serialized, so timing-sensitive rebalances
/// and the throughput measurement do not compete for the machine's two cores.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct KafkaTests {}
