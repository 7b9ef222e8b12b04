import ArgumentParser
import Kafka

/// How long `publish` and `loadgen` let a message wait for the broker. librdkafka's own default
/// (`message.timeout.ms`, 5 minutes) makes a command against an unreachable broker print
/// nothing but log lines for five minutes; these commands default to 30 s instead.
struct DeliveryOptions: ParsableArguments, Sendable {
    /// Used when neither `--delivery-timeout` nor the `message.timeout.ms` property is given.
    static let defaultSeconds = 30.0

    @Option(
        name: .customLong("delivery-timeout"),
        help:
            "Seconds a message may wait for the broker before it counts as not delivered (default 30, or kafka property message.timeout.ms when configured)."
    )
    var deliveryTimeout: Double?

    func validate() throws {
        if let deliveryTimeout, !(deliveryTimeout >= 0.001 && deliveryTimeout <= 3_600) {
            throw ValidationError("--delivery-timeout must be between 0.001 and 3600 seconds, not \(deliveryTimeout)")
        }
    }

    /// The flag wins; then a configured `message.timeout.ms`; then 30 s.
    func applied(to configuration: KafkaConfiguration) -> KafkaConfiguration {
        var configuration = configuration
        if let deliveryTimeout {
            configuration["message.timeout.ms"] = "\(Int((deliveryTimeout * 1_000).rounded()))"
        } else if configuration["message.timeout.ms"] == nil {
            configuration["message.timeout.ms"] = "\(Int(Self.defaultSeconds * 1_000))"
        }
        return configuration
    }

    /// The timeout in force in `configuration`, in seconds, for messages.
    static func seconds(in configuration: KafkaConfiguration) -> Double {
        (configuration["message.timeout.ms"].flatMap(Double.init) ?? 300_000) / 1_000
    }
}

/// Messages a command could not deliver, summarized: one line per distinct error (never one per
/// message: ten thousand lines saying the broker is down help nobody), naming the brokers.
struct DeliveryFailureSummary: Sendable {
    private var byError: [String: (count: Int, firstLines: [Int])] = [:]

    var isEmpty: Bool { byError.isEmpty }
    var count: Int { byError.values.reduce(0) { $0 + $1.count } }

    mutating func record(line: Int, error: String) {
        var entry = byError[error] ?? (0, [])
        entry.count += 1
        if entry.firstLines.count < 5 { entry.firstLines.append(line) }
        byError[error] = entry
    }

    /// `command: N events not delivered within T s to brokers B: error (lines 1, 2, ...)`.
    func lines(command: String, brokers: String, timeoutSeconds: Double, unit: String) -> [String] {
        byError.sorted { $0.value.count > $1.value.count }.map { error, entry in
            var line =
                "\(command): \(entry.count) \(unit) not delivered within \(Self.format(timeoutSeconds)) s "
                + "to brokers \(brokers): \(error)"
            if !entry.firstLines.isEmpty {
                line +=
                    " (\(unit == "events" ? "lines" : "messages") "
                    + entry.firstLines.sorted().map(String.init).joined(separator: ", ")
                    + (entry.count > entry.firstLines.count ? ", ..." : "") + ")"
            }
            return line
        }
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? "\(Int(seconds))" : "\(seconds)"
    }
}
