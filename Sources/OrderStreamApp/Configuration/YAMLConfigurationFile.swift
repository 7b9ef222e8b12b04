import Yams

/// Reads the YAML configuration file. Unknown keys are errors that name the key, so that a typo
/// never silently leaves a default in place.
enum YAMLConfigurationFile {
    static func apply(yaml: String, source: String, to c: inout OrderStreamConfiguration) throws(ConfigurationError) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigurationError("\(source): not valid YAML (\(error))")
        }
        guard let root else { return }  // an empty file: defaults
        guard let top = root.mapping else {
            throw ConfigurationError("\(source): the top level must be a mapping")
        }
        for (keyNode, value) in top {
            let key = keyNode.string ?? ""
            let name = "\(source): \(key)"
            switch key {
            case "kafka": try applyKafka(value, source: source, to: &c)
            case "database":
                for (k, v) in try mapping(v: value, name) {
                    guard k == "url" else { throw ConfigurationError("\(source): unknown key database.\(k)") }
                    c.databaseURL = try ConfigurationLoader.nonEmpty(
                        try scalar(v, "\(source): database.url"), "\(source): database.url")
                }
            case "group": c.group = try ConfigurationLoader.nonEmpty(try scalar(value, name), name)
            case "color": c.color = try ConfigurationLoader.color(try scalar(value, name), name)
            case "instance_id": c.instanceId = try ConfigurationLoader.nonEmpty(try scalar(value, name), name)
            case "static_membership": c.staticMembership = try ConfigurationLoader.bool(try scalar(value, name), name)
            case "http":
                for (k, v) in try mapping(v: value, name) {
                    let field = "\(source): http.\(k)"
                    switch k {
                    case "host": c.httpHost = try ConfigurationLoader.nonEmpty(try scalar(v, field), field)
                    case "port": c.httpPort = try ConfigurationLoader.port(try scalar(v, field), field)
                    default: throw ConfigurationError("\(source): unknown key http.\(k)")
                    }
                }
            case "worker":
                for (k, v) in try mapping(v: value, name) {
                    let field = "\(source): worker.\(k)"
                    switch k {
                    case "drain_deadline_seconds":
                        c.drainDeadlineSeconds = try ConfigurationLoader.positiveDouble(try scalar(v, field), field)
                    case "batch_size": c.batchSize = try ConfigurationLoader.positiveInt(try scalar(v, field), field)
                    case "apply_connections":
                        c.applyConnections = try ConfigurationLoader.positiveInt(try scalar(v, field), field)
                    case "rebalance_protocol":
                        c.rebalanceProtocol = try ConfigurationLoader.choice(try scalar(v, field), field)
                    default: throw ConfigurationError("\(source): unknown key worker.\(k)")
                    }
                }
            case "scaling":
                for (k, v) in try mapping(v: value, name) {
                    let field = "\(source): scaling.\(k)"
                    switch k {
                    case "max_workers":
                        c.scalingMaxWorkers = try ConfigurationLoader.positiveInt(try scalar(v, field), field)
                    case "postgres_max_events_per_second":
                        c.scalingPostgresMaxEventsPerSecond = try ConfigurationLoader.positiveDouble(
                            try scalar(v, field), field)
                    case "drain_target_seconds":
                        c.scalingDrainTargetSeconds = try ConfigurationLoader.positiveDouble(
                            try scalar(v, field), field)
                    default: throw ConfigurationError("\(source): unknown key scaling.\(k)")
                    }
                }
            case "log":
                for (k, v) in try mapping(v: value, name) {
                    let field = "\(source): log.\(k)"
                    switch k {
                    case "format": c.logFormat = try ConfigurationLoader.choice(try scalar(v, field), field)
                    case "level": c.logLevel = try ConfigurationLoader.logLevel(try scalar(v, field), field)
                    default: throw ConfigurationError("\(source): unknown key log.\(k)")
                    }
                }
            default:
                throw ConfigurationError("\(source): unknown key \(key)")
            }
        }
    }

    private static func applyKafka(
        _ node: Node, source: String, to c: inout OrderStreamConfiguration
    ) throws(ConfigurationError) {
        for (k, v) in try mapping(v: node, "\(source): kafka") {
            switch k {
            case "brokers":
                c.kafkaBrokers = try ConfigurationLoader.nonEmpty(
                    try scalar(v, "\(source): kafka.brokers"), "\(source): kafka.brokers")
            case "properties":
                // In the file's order (a composed mapping keeps it): librdkafka applies them so.
                for (property, value) in try mapping(v: v, "\(source): kafka.properties") {
                    c.kafkaProperties[property] = try scalar(value, "\(source): kafka.properties.\(property)")
                }
            default:
                throw ConfigurationError("\(source): unknown key kafka.\(k)")
            }
        }
    }

    private static func mapping(v node: Node, _ name: String) throws(ConfigurationError) -> [(String, Node)] {
        guard let mapping = node.mapping else { throw ConfigurationError("\(name) must be a mapping") }
        return mapping.map { ($0.key.string ?? "", $0.value) }
    }

    private static func scalar(_ node: Node, _ name: String) throws(ConfigurationError) -> String {
        guard let scalar = node.scalar else { throw ConfigurationError("\(name) must be a single value") }
        return scalar.string
    }
}
