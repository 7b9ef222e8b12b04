import ArgumentParser
import Foundation
import Kafka
import OrderStreamCommon
import OrderStreamDomain
import OrderStreamLoadGen
import OrderStreamWorker
import Synchronization

/// `orderstream loadgen`: publishes a synthetic, deterministic (per seed) stream of realistic
/// order and payment flows, optionally with duplicates and invalid messages.
struct LoadgenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadgen",
        abstract: "Publishes realistic order and payment flows (deterministic for a seed).")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var delivery: DeliveryOptions

    @Option(help: "Orders to generate.")
    var orders: Int

    @Option(help: "Events per second (0 = as fast as the broker takes them).")
    var rate: Double = 0

    @Option(help: "Fraction of messages re-sent as publisher retries (0-1).")
    var duplicates: Double = 0

    @Option(help: "Fraction of extra invalid messages (0-1).")
    var invalid: Double = 0

    @Option(help: "Seed of the generator.")
    var seed: UInt64 = 1

    @Option(help: "occurred_at of the first event (RFC 3339); default: now, on the minute.")
    var start: String?

    @Flag(help: "Print progress every second.")
    var progress = false

    @Option(
        name: .customLong("dump-valid"),
        help: "Instead of publishing, write the distinct valid events as PostgreSQL COPY text to this file.")
    var dumpValid: String?

    func validate() throws {
        guard orders >= 1 else { throw ValidationError("--orders must be at least 1, not \(orders)") }
        guard rate >= 0, rate.isFinite else { throw ValidationError("--rate must be 0 or more, not \(rate)") }
        guard (0...1).contains(duplicates) else {
            throw ValidationError("--duplicates must be between 0 and 1, not \(duplicates)")
        }
        guard (0...1).contains(invalid) else {
            throw ValidationError("--invalid must be between 0 and 1, not \(invalid)")
        }
        if let start, RFC3339.parseMicros(start) == nil {
            throw ValidationError("--start must be an RFC 3339 timestamp with a zone, not \(start)")
        }
    }

    func run() async throws {
        let configuration = try options.configuration()
        let logger = ProcessLogging.logger(configuration, label: "orderstream.loadgen")
        let startMicros = start.flatMap(RFC3339.parseMicros) ?? Self.currentMinuteMicros()
        let generator = LoadGenerator(
            orders: orders, duplicates: duplicates, invalid: invalid, seed: seed, startMicros: startMicros)
        if let path = dumpValid {
            let summary = try await Blocking.run {
                try ValidEventDump.dump(generator, toFile: path)
            }
            print(
                "loadgen: \(summary.valid) distinct valid events written to \(path) (messages \(summary.messages): "
                    + "valid \(summary.valid), duplicates \(summary.duplicates), invalid \(summary.invalid))")
            return
        }
        let kafka = delivery.applied(to: configuration.kafkaConfiguration)
        let timeoutSeconds = DeliveryOptions.seconds(in: kafka)
        let producer = try KafkaProducer(configuration: kafka, logger: logger)
        let tally = Mutex(Tally())
        let rate = self.rate
        let progress = self.progress
        // Before the stream: the topics' metadata is fetched and the first message is awaited on
        // its own (the idempotent producer connects and obtains its producer id). Messages sent
        // before either was done waited in the producer's queue, about a second measured here,
        // which looks like consumer latency to anyone timing the stream.
        do {
            try await Blocking.run {
                try producer.prepare(topics: Topic.allCases.map(\.rawValue), timeout: .seconds(min(10, timeoutSeconds)))
            }
        } catch {
            producer.close()
            throw LoadgenFailure(
                description: "orderstream loadgen: the topics' metadata did not arrive from brokers "
                    + "\(configuration.kafkaBrokers) within \(Int(min(10, timeoutSeconds).rounded(.up))) s: \(error)")
        }
        var messages = generator.makeIterator()
        if let first = messages.next() {
            let outgoing = KafkaOutgoingMessage(topic: first.topic.rawValue, key: first.key, value: first.value)
            do {
                _ = try await producer.send(outgoing)
                tally.withLock { $0.record(kind: first.kind, delivered: true) }
            } catch {
                // The first message decides whether the stream can flow at all: without the
                // broker there is no point in queueing the rest for the delivery timeout each.
                producer.close()
                throw LoadgenFailure(
                    description: "orderstream loadgen: 1 messages not delivered within "
                        + "\(Int(timeoutSeconds)) s to brokers \(configuration.kafkaBrokers): \(error)")
            }
        }
        let rest = messages
        try await Blocking.run {
            var messages = rest
            let began = Date()
            var lastReport = began
            var sent = 1
            while let message = messages.next() {
                if rate > 0 {
                    let due = began.addingTimeInterval(Double(sent) / rate)
                    let wait = due.timeIntervalSinceNow
                    if wait > 0 { Thread.sleep(forTimeInterval: wait) }
                }
                let outgoing = KafkaOutgoingMessage(
                    topic: message.topic.rawValue, key: message.key, value: message.value)
                let kind = message.kind
                let number = sent + 1
                try producer.send(outgoing) { result in
                    tally.withLock {
                        if case .failure(let error) = result { $0.undelivered.record(line: number, error: "\(error)") }
                        $0.record(kind: kind, delivered: (try? result.get()) != nil)
                    }
                }
                sent += 1
                if progress, Date().timeIntervalSince(lastReport) >= 1 {
                    lastReport = Date()
                    let t = tally.withLock { $0 }
                    print("loadgen: \(sent) sent, \(t.delivered) delivered, \(t.failed) failed")
                    fflush(nil)
                }
            }
        }
        // Every message completes within its delivery timeout; the flush waits a little longer.
        try await producer.flush(timeout: .seconds(Int(timeoutSeconds.rounded(.up)) + 10))
        producer.close()
        let t = tally.withLock { $0 }
        print(
            "loadgen: \(t.delivered) messages delivered (valid \(t.valid), duplicates \(t.duplicates), invalid \(t.invalid)), \(t.failed) failed"
        )
        for line in t.undelivered.lines(
            command: "orderstream loadgen", brokers: configuration.kafkaBrokers,
            timeoutSeconds: timeoutSeconds, unit: "messages")
        {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        if t.failed > 0 { throw ExitCode(1) }
    }

    /// The stream could not start: says why in one line and exits non-zero.
    struct LoadgenFailure: Error, CustomStringConvertible {
        let description: String
    }

    static func currentMinuteMicros() -> Int64 {
        let micros = Int64(Date().timeIntervalSince1970 * 1_000_000)
        return micros - micros % 60_000_000
    }

    /// Counts of what was delivered.
    struct Tally: Sendable {
        var undelivered = DeliveryFailureSummary()
        var delivered = 0
        var failed = 0
        var valid = 0
        var duplicates = 0
        var invalid = 0

        mutating func record(kind: GeneratedMessage.Kind, delivered ok: Bool) {
            guard ok else {
                failed += 1
                return
            }
            delivered += 1
            switch kind {
            case .valid: valid += 1
            case .duplicate: duplicates += 1
            case .invalid: invalid += 1
            }
        }
    }
}
