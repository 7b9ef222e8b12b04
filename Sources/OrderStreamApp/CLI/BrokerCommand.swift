import ArgumentParser
import Foundation
import Kafka
import OrderStreamDomain
import UnixSignals

/// `orderstream broker`: the embedded development broker (librdkafka's mock cluster) with the
/// contract's topics, until SIGTERM/SIGINT.
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Runs the embedded development broker (librdkafka's mock cluster) with the contract's topics.")

    @Option(help: "Partitions of each topic.")
    var partitions: Int32 = 12

    @Option(help: "Brokers in the mock cluster.")
    var brokers: Int = 1

    @Option(name: .customLong("bootstrap-file"), help: "Also write the bootstrap servers to this file.")
    var bootstrapFile: String?

    /// The contract's topics, then their dead-letter topics.
    static let topics = Topic.allCases.map(\.rawValue) + Topic.allCases.map(\.deadLetterTopic)

    func validate() throws {
        guard partitions >= 1, partitions <= 1_000 else {
            throw ValidationError("--partitions must be between 1 and 1000, not \(partitions)")
        }
        guard brokers >= 1, brokers <= 16 else {
            throw ValidationError("--brokers must be between 1 and 16, not \(brokers)")
        }
    }

    func run() async throws {
        let logger = ProcessLogging.logger(OrderStreamConfiguration(), label: "orderstream.broker")
        let cluster = try KafkaMockCluster(brokers: brokers, logger: logger)
        for topic in Self.topics {
            try cluster.createTopic(topic, partitions: partitions)
        }
        print("bootstrap: \(cluster.bootstrapServers)")
        fflush(nil)
        if let bootstrapFile {
            do {
                try (cluster.bootstrapServers + "\n").write(toFile: bootstrapFile, atomically: true, encoding: .utf8)
            } catch {
                throw ValidationError("--bootstrap-file: cannot write \(bootstrapFile): \(error.localizedDescription)")
            }
        }
        logger.info(
            "embedded broker running",
            metadata: [
                AppLogKey.bootstrap: "\(cluster.bootstrapServers)", AppLogKey.partitions: "\(partitions)",
                AppLogKey.topics: "\(Self.topics.joined(separator: ","))",
            ])
        // swift-service-lifecycle's signal sequence (what the worker's ServiceGroup uses too).
        var stopSignal = "none"
        for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
            stopSignal = signal.description
            break
        }
        logger.info("embedded broker stopping", metadata: [AppLogKey.signal: "\(stopSignal)"])
        cluster.close()
    }
}
