import Foundation
import Yams

/// Builds an `OrderStreamConfiguration` from its three sources, each overriding the one before:
/// the YAML file, the environment (`ORDERSTREAM_*`), then the command line flags (applied by
/// the commands themselves).
public struct ConfigurationLoader: Sendable {
    /// The file read when no `--config` is given; missing is fine (defaults apply).
    public static let defaultPath = "config/orderstream.yaml"

    public var environment: [String: String]

    /// Variables under these prefixes belong to the test and demo scripts and to the build
    /// (`ORDERSTREAM_BUILD_REVISION`), not to the worker's configuration.
    public static let reservedPrefixes = ["ORDERSTREAM_TEST_", "ORDERSTREAM_BUILD_"]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// Loads the file (an explicit path must exist; the default path may be missing), then
    /// applies the environment.
    public func load(configPath: String?) throws(ConfigurationError) -> OrderStreamConfiguration {
        var configuration = OrderStreamConfiguration()
        let path = configPath ?? environment["ORDERSTREAM_CONFIG"] ?? Self.defaultPath
        let explicit = configPath != nil || environment["ORDERSTREAM_CONFIG"] != nil
        if FileManager.default.fileExists(atPath: path) {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw ConfigurationError("cannot read configuration file \(path)")
            }
            try YAMLConfigurationFile.apply(yaml: text, source: path, to: &configuration)
        } else if explicit {
            throw ConfigurationError("configuration file \(path) does not exist")
        }
        try applyEnvironment(to: &configuration)
        return configuration
    }

    /// Applies `ORDERSTREAM_*` variables, reading `<VAR>_FILE` for any of them, in the order of
    /// their names: the environment has no order of its own, so `ORDERSTREAM_KAFKA_*` properties
    /// follow the file's in name order (one the file set too keeps the file's place).
    func applyEnvironment(to configuration: inout OrderStreamConfiguration) throws(ConfigurationError) {
        let values = try resolvedVariables()
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            try apply(variable: name, value: value, to: &configuration)
        }
    }

    /// The `ORDERSTREAM_*` variables with `_FILE` indirections resolved. A variable given both
    /// directly and through `_FILE` is an error: which one wins would be a guess.
    func resolvedVariables() throws(ConfigurationError) -> [String: String] {
        var values: [String: String] = [:]
        for (name, value) in environment
        where name.hasPrefix("ORDERSTREAM_") && name != "ORDERSTREAM_CONFIG"
            && !Self.reservedPrefixes.contains(where: name.hasPrefix)
        {
            if name == "ORDERSTREAM_CONSOLE_TOKEN" {
                // A token in the environment is readable in /proc and in `docker inspect`.
                throw ConfigurationError(
                    "ORDERSTREAM_CONSOLE_TOKEN is not read: put the token in a file and name it in ORDERSTREAM_CONSOLE_TOKEN_FILE"
                )
            }
            if name.hasSuffix("_FILE") {
                let base = String(name.dropLast("_FILE".count))
                if environment[base] != nil {
                    throw ConfigurationError("both \(base) and \(name) are set; set only one")
                }
                guard let data = FileManager.default.contents(atPath: value),
                    let content = String(data: data, encoding: .utf8)
                else {
                    throw ConfigurationError("\(name): cannot read the file \(value)")
                }
                values[base] = content.trimmingCharacters(in: .newlines)
            } else {
                values[name] = value
            }
        }
        return values
    }

    private func apply(
        variable name: String, value: String, to c: inout OrderStreamConfiguration
    ) throws(ConfigurationError) {
        switch name {
        case "ORDERSTREAM_KAFKA_BROKERS": c.kafkaBrokers = try Self.nonEmpty(value, name)
        case "ORDERSTREAM_DATABASE_URL": c.databaseURL = try Self.nonEmpty(value, name)
        case "ORDERSTREAM_GROUP": c.group = try Self.nonEmpty(value, name)
        case "ORDERSTREAM_COLOR": c.color = try Self.color(value, name)
        case "ORDERSTREAM_INSTANCE_ID": c.instanceId = try Self.nonEmpty(value, name)
        case "ORDERSTREAM_STATIC_MEMBERSHIP": c.staticMembership = try Self.bool(value, name)
        case "ORDERSTREAM_HTTP_HOST": c.httpHost = try Self.nonEmpty(value, name)
        case "ORDERSTREAM_HTTP_PORT": c.httpPort = try Self.port(value, name)
        case "ORDERSTREAM_DRAIN_DEADLINE_SECONDS": c.drainDeadlineSeconds = try Self.positiveDouble(value, name)
        case "ORDERSTREAM_BATCH_SIZE": c.batchSize = try Self.positiveInt(value, name)
        case "ORDERSTREAM_APPLY_CONNECTIONS": c.applyConnections = try Self.positiveInt(value, name)
        case "ORDERSTREAM_SCALING_MAX_WORKERS": c.scalingMaxWorkers = try Self.positiveInt(value, name)
        case "ORDERSTREAM_SCALING_POSTGRES_MAX_EVENTS_PER_SECOND":
            c.scalingPostgresMaxEventsPerSecond = try Self.positiveDouble(value, name)
        case "ORDERSTREAM_SCALING_DRAIN_TARGET_SECONDS":
            c.scalingDrainTargetSeconds = try Self.positiveDouble(value, name)
        case "ORDERSTREAM_REBALANCE_PROTOCOL": c.rebalanceProtocol = try Self.choice(value, name)
        case "ORDERSTREAM_LOG_FORMAT": c.logFormat = try Self.choice(value, name)
        case "ORDERSTREAM_LOG_LEVEL": c.logLevel = try Self.logLevel(value, name)
        case "ORDERSTREAM_CONSOLE_TOKEN": c.consoleToken = value
        case "ORDERSTREAM_FAULT_INJECTION":
            guard value.isEmpty || value == "dead-letter-all" else {
                throw ConfigurationError("\(name) must be dead-letter-all or empty, not '\(value)'")
            }
            c.deadLetterEverything = value == "dead-letter-all"
        case _ where name.hasPrefix("ORDERSTREAM_KAFKA_"):
            let property = name.dropFirst("ORDERSTREAM_KAFKA_".count).lowercased()
                .replacingOccurrences(of: "_", with: ".")
            c.kafkaProperties[property] = value
        default:
            throw ConfigurationError("unknown environment variable \(name)")
        }
    }

    // MARK: value parsing shared with the YAML file and the flags

    static func nonEmpty(_ value: String, _ name: String) throws(ConfigurationError) -> String {
        guard !value.isEmpty else { throw ConfigurationError("\(name) must not be empty") }
        return value
    }

    static func color(
        _ value: String, _ name: String
    ) throws(ConfigurationError) -> OrderStreamConfiguration.DeploymentColor {
        try choice(value, name)
    }

    static func choice<T: RawRepresentable & CaseIterable>(
        _ value: String, _ name: String
    ) throws(ConfigurationError) -> T
    where T.RawValue == String {
        guard let parsed = T(rawValue: value.lowercased()) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigurationError("\(name): '\(value)' is not one of \(allowed)")
        }
        return parsed
    }

    static func port(_ value: String, _ name: String) throws(ConfigurationError) -> Int {
        guard let port = Int(value), (0...65_535).contains(port) else {
            throw ConfigurationError("\(name): '\(value)' is not a port (0-65535)")
        }
        return port
    }

    static func positiveInt(_ value: String, _ name: String) throws(ConfigurationError) -> Int {
        guard let number = Int(value), number > 0 else {
            throw ConfigurationError("\(name): '\(value)' is not a positive integer")
        }
        return number
    }

    static func positiveDouble(_ value: String, _ name: String) throws(ConfigurationError) -> Double {
        guard let number = Double(value), number > 0, number.isFinite else {
            throw ConfigurationError("\(name): '\(value)' is not a positive number")
        }
        return number
    }

    static func bool(_ value: String, _ name: String) throws(ConfigurationError) -> Bool {
        switch value.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw ConfigurationError("\(name): '\(value)' is not true or false")
        }
    }

    static func logLevel(_ value: String, _ name: String) throws(ConfigurationError) -> String {
        let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
        guard levels.contains(value.lowercased()) else {
            throw ConfigurationError("\(name): '\(value)' is not one of \(levels.joined(separator: ", "))")
        }
        return value.lowercased()
    }
}
