import Foundation
import OrderStreamTestSupport
import Testing

@testable import Kafka

extension KafkaTests {
    /// A client that is not ours (kcat, another process) sees the mock cluster's topics
    /// and reads what our producer wrote, headers included.
    @Suite struct KcatInteropTests {
        static let kcat = "/usr/bin/kcat"

        @Test func kcatListsTopicsAndReadsOurMessages() async throws {
            try #require(
                FileManager.default.isExecutableFile(atPath: Self.kcat),
                "kcat missing: install it with `apt-get install kcat`")
            let cluster = try KafkaMockCluster(brokers: 1, logger: TestEnvironment.logger("mock"))
            defer { cluster.close() }
            let topic = TestEnvironment.uniqueName("kcat", separator: "-", length: 8)
            try cluster.createTopic(topic, partitions: 1)
            let producer = try KafkaProducer(
                configuration: ["bootstrap.servers": cluster.bootstrapServers],
                logger: TestEnvironment.logger("producer"))
            for i in 0..<5 {
                _ = try await producer.send(
                    KafkaOutgoingMessage(
                        topic: topic, key: TestSupport.bytes("key-\(i)"), value: TestSupport.bytes("value-\(i)"),
                        headers: [
                            KafkaHeader(key: "event-type", value: TestSupport.bytes("type-\(i)")),
                            KafkaHeader(key: "n", value: TestSupport.bytes("\(i)")),
                        ]
                    ))
            }
            producer.close()

            let listing = try await run(["-b", cluster.bootstrapServers, "-L", "-m", "10"])
            #expect(listing.status == 0, "kcat -L failed: \(listing.output)")
            #expect(listing.output.contains("topic \"\(topic)\" with 1 partitions"), "listing: \(listing.output)")

            let read = try await run([
                "-C", "-b", cluster.bootstrapServers, "-t", topic, "-o", "beginning", "-e", "-J", "-m", "10",
            ])
            #expect(read.status == 0, "kcat -C failed: \(read.output)")
            let records = read.output.split(separator: "\n").compactMap { line -> [String: Any]? in
                guard line.hasPrefix("{") else { return nil }
                return try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            }
            try #require(records.count == 5, "kcat output: \(read.output)")
            for (i, record) in records.enumerated() {
                #expect(record["offset"] as? Int == i)
                #expect(record["key"] as? String == "key-\(i)")
                #expect(record["payload"] as? String == "value-\(i)")
                #expect(record["headers"] as? [String] == ["event-type", "type-\(i)", "n", "\(i)"])
            }
        }

        /// Runs kcat with a hard 30 s limit (terminated past it), stdout and stderr merged.
        private func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
            try await TestEnvironment.onThread {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: Self.kcat)
                process.arguments = arguments
                let pipe = Pipe()
                process.standardOutput = pipe
                process.standardError = pipe
                try process.run()
                let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
                DispatchQueue.global().asyncAfter(deadline: .now() + 30, execute: watchdog)
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                watchdog.cancel()
                return (process.terminationStatus, String(decoding: data, as: UTF8.self))
            }
        }
    }
}
