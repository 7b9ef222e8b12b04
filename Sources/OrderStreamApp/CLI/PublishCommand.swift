import ArgumentParser
import Foundation
import Kafka
import OrderStreamCommon
import OrderStreamDomain
import OrderStreamWorker
import Synchronization

/// `orderstream publish [FILE]`: JSON lines to their topics, keyed by `order_id`, through the
/// idempotent producer. Exits non-zero naming every line that could not be routed, and with one
/// line per distinct delivery error (naming the brokers) for what could not be delivered within
/// `--delivery-timeout`.
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publishes events (JSON lines from FILE or stdin) to their topics, keyed by order_id.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var delivery: DeliveryOptions

    @Argument(help: "A file of JSON lines; stdin when absent.")
    var file: String?

    @Option(help: "Send every line to this topic as it is, without routing (for testing rejections).")
    var topic: String?

    func run() async throws {
        let configuration = try options.configuration()
        let logger = ProcessLogging.logger(configuration, label: "orderstream.publish")
        let lines = try readLines()
        let kafka = delivery.applied(to: configuration.kafkaConfiguration)
        let producer = try KafkaProducer(configuration: kafka, logger: logger)
        let failures = Mutex<[Int: String]>([:])
        let undelivered = Mutex(DeliveryFailureSummary())
        let counts = Mutex<[String: Int]>([:])
        let group = DispatchGroup()
        for (index, line) in lines.enumerated() where !line.allSatisfy(\.isWhitespace) {
            let number = index + 1
            let message: KafkaOutgoingMessage
            switch Self.route(line: line, forcedTopic: topic) {
            case .success(let routed): message = routed
            case .failure(let problem):
                failures.withLock { $0[number] = problem.description }
                continue
            }
            group.enter()
            do {
                try producer.send(message) { result in
                    switch result {
                    case .success: counts.withLock { $0[message.topic, default: 0] += 1 }
                    case .failure(let error): undelivered.withLock { $0.record(line: number, error: "\(error)") }
                    }
                    group.leave()
                }
            } catch {
                undelivered.withLock { $0.record(line: number, error: "not sent: \(error)") }
                group.leave()
            }
        }
        await Blocking.run { group.wait() }
        producer.close()
        let delivered = counts.withLock { $0 }
        print(
            "published \(delivered.values.reduce(0, +)) events ("
                + delivered.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")")
        let failed = failures.withLock { $0 }
        for (line, problem) in failed.sorted(by: { $0.key < $1.key }) {
            FileHandle.standardError.write(Data("line \(line): \(problem)\n".utf8))
        }
        let notDelivered = undelivered.withLock { $0 }
        for line in notDelivered.lines(
            command: "orderstream publish", brokers: configuration.kafkaBrokers,
            timeoutSeconds: DeliveryOptions.seconds(in: kafka), unit: "events")
        {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        if !failed.isEmpty || !notDelivered.isEmpty { throw ExitCode(1) }
    }

    private func readLines() throws -> [String] {
        let data: Data
        if let file {
            guard let contents = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read \(file)")
            }
            data = contents
        } else {
            data = FileHandle.standardInput.readDataToEndOfFile()
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(
            String.init)
    }

    /// Why a line cannot be published.
    struct RoutingProblem: Error, CustomStringConvertible {
        let description: String
    }

    /// The message for one line: topic from `event_type` (or `forcedTopic`), key `order_id`,
    /// value the line's bytes unchanged.
    static func route(line: String, forcedTopic: String?) -> Result<KafkaOutgoingMessage, RoutingProblem> {
        let bytes = Array(line.utf8)
        let object: [String: JSONValue]?
        do {
            object = try JSONParser.parse(bytes).objectValue
        } catch {
            if let forcedTopic { return .success(KafkaOutgoingMessage(topic: forcedTopic, key: nil, value: bytes)) }
            return .failure(RoutingProblem(description: "not JSON (\(error))"))
        }
        let key = object?["order_id"]?.stringValue.map { Array($0.utf8) }
        if let forcedTopic { return .success(KafkaOutgoingMessage(topic: forcedTopic, key: key, value: bytes)) }
        guard let object else { return .failure(RoutingProblem(description: "not a JSON object")) }
        guard let typeName = object["event_type"]?.stringValue, let type = EventType(rawValue: typeName) else {
            return .failure(RoutingProblem(description: "no known event_type to route by"))
        }
        guard let key else { return .failure(RoutingProblem(description: "no order_id to key by")) }
        return .success(KafkaOutgoingMessage(topic: type.topic.rawValue, key: key, value: bytes))
    }
}
