import Foundation
import OrderStreamTestSupport
import Testing

/// `orderstream broker` and `orderstream publish` seen by kcat, a Kafka client that is not ours.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct BrokerInteropTests {
    static let examples = TestEnvironment.contractFixtures

    @Test func kcatListsTheTopicsAndReadsWhatPublishWrote() async throws {
        let folder = ProcessInfo.processInfo.environment["ORDERSTREAM_TEST_TMP"] ?? NSTemporaryDirectory()
        let bootstrapFile = folder + "/bootstrap-\(UUID().uuidString.prefix(6))"
        let broker = try ProcessRunner.start(
            "broker", ["broker", "--partitions", "3", "--bootstrap-file", bootstrapFile], separateStderr: true)
        defer { broker.kill() }
        let started = await TestEnvironment.eventually(timeout: .seconds(20)) {
            FileManager.default.fileExists(atPath: bootstrapFile)
        }
        #expect(started, "broker did not start: \(broker.output)")
        let bootstrap = try String(contentsOfFile: bootstrapFile, encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)
        #expect(
            broker.output.hasPrefix("bootstrap: \(bootstrap)"), "first line of stdout: \(broker.output.prefix(200))")

        let metadata = try ProcessRunner.runToEnd("/usr/bin/kcat", ["-b", bootstrap, "-L", "-m", "10"])
        #expect(metadata.status == 0, "\(metadata.stderr)")
        for topic in ["orders", "payments", "orders.dlq", "payments.dlq"] {
            #expect(metadata.stdout.contains("topic \"\(topic)\" with 3 partitions"), "\(metadata.stdout)")
        }

        // Publish the contract's examples (one of each type) from a file, then an unroutable line.
        var lines: [String] = []
        for name in ["order.created", "payment.authorized", "payment.captured", "order.shipped"] {
            let data = try Data(contentsOf: Self.examples.appendingPathComponent("\(name).json"))
            let object = try JSONSerialization.jsonObject(with: data)
            lines.append(
                String(
                    decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
            )
        }
        let file = folder + "/events-\(UUID().uuidString.prefix(6)).jsonl"
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let published = try ProcessRunner.orderstream(
            ["publish", file], environment: ["ORDERSTREAM_KAFKA_BROKERS": bootstrap])
        #expect(published.status == 0, "\(published.stderr)")
        #expect(published.stdout.contains("published 4 events"), "\(published.stdout)")

        let read = try ProcessRunner.runToEnd(
            "/usr/bin/kcat", ["-b", bootstrap, "-C", "-t", "orders", "-o", "beginning", "-e", "-f", "%k|%s\n", "-q"])
        #expect(read.status == 0, "\(read.stderr)")
        let orders = read.stdout.split(separator: "\n").map(String.init)
        #expect(orders.count == 2)
        #expect(orders.allSatisfy { $0.hasPrefix("ord-1001|") })
        #expect(Set(orders.map { String($0.dropFirst("ord-1001|".count)) }) == Set([lines[0], lines[3]]))

        let bad = try ProcessRunner.orderstream(
            ["publish"], environment: ["ORDERSTREAM_KAFKA_BROKERS": bootstrap],
            input: lines[0] + "\nnot json at all\n{\"event_type\":\"order.teleported\",\"order_id\":\"x\"}\n")
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("line 2"))
        #expect(bad.stderr.contains("line 3"))
        #expect(!bad.stderr.contains("line 1:"))

        broker.signal(SIGTERM)
        #expect(await broker.wait(timeout: .seconds(10)) == 0)
    }
}
