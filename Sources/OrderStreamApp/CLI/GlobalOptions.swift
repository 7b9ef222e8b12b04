import ArgumentParser
import Logging

/// Options every command takes: where the configuration is, and the few settings worth a flag.
/// Flags override environment variables, which override the file.
public struct GlobalOptions: ParsableArguments, Sendable {
    @Option(name: .long, help: "Configuration file (default: config/orderstream.yaml when it exists).")
    var config: String?

    @Option(name: .long, help: "Kafka bootstrap servers (overrides ORDERSTREAM_KAFKA_BROKERS).")
    var brokers: String?

    @Option(name: .customLong("database-url"), help: "PostgreSQL URL (overrides ORDERSTREAM_DATABASE_URL).")
    var databaseURL: String?

    @Option(name: .long, help: "Logical consumer group (overrides ORDERSTREAM_GROUP).")
    var group: String?

    @Option(name: .customLong("log-format"), help: "text or json.")
    var logFormat: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    public init() {}

    /// Loads the configuration with every source applied, and bootstraps logging from it.
    func configuration(environment: [String: String]? = nil) throws -> OrderStreamConfiguration {
        let loader = environment.map(ConfigurationLoader.init(environment:)) ?? ConfigurationLoader()
        var c = try loader.load(configPath: config)
        if let brokers { c.kafkaBrokers = try ConfigurationLoader.nonEmpty(brokers, "--brokers") }
        if let databaseURL { c.databaseURL = try ConfigurationLoader.nonEmpty(databaseURL, "--database-url") }
        if let group { c.group = try ConfigurationLoader.nonEmpty(group, "--group") }
        if let logFormat { c.logFormat = try ConfigurationLoader.choice(logFormat, "--log-format") }
        if let logLevel { c.logLevel = try ConfigurationLoader.logLevel(logLevel, "--log-level") }
        return c
    }
}

/// Logging is bootstrapped once per process, by the first command that asks.
enum ProcessLogging {
    static func logger(_ configuration: OrderStreamConfiguration, label: String = "orderstream") -> Logger {
        bootstrapOnce(configuration)
        return Logger(label: label)
    }

    private static func bootstrapOnce(_ configuration: OrderStreamConfiguration) {
        LoggingBootstrapGuard.run {
            LoggingSetup.bootstrap(format: configuration.logFormat, level: configuration.logLevel)
        }
    }
}
