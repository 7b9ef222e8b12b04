import Foundation
import OrderStreamCommon
import Testing

@testable import OrderStreamApp

/// File, environment and flags, in that order of precedence; every mistake named.
struct ConfigurationLoaderTests {
    static func file(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "orderstream-config-\(UUID().uuidString.prefix(8)).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func theFileThenTheEnvironmentApply() throws {
        let path = try Self.file(
            """
            kafka:
              brokers: kafka-1:9092,kafka-2:9092
              properties:
                security.protocol: SASL_SSL
                sasl.password: from-file
            database:
              url: postgresql://db/orders
            group: shop
            color: green
            instance_id: pod-7
            static_membership: true
            http:
              host: 127.0.0.1
              port: 9000
            worker:
              drain_deadline_seconds: 20
              batch_size: 1000
              apply_connections: 3
              rebalance_protocol: eager
            log:
              format: json
              level: debug
            """)
        let c = try ConfigurationLoader(environment: [
            "ORDERSTREAM_HTTP_PORT": "9100", "ORDERSTREAM_KAFKA_SESSION_TIMEOUT_MS": "6000",
        ]).load(configPath: path)
        #expect(c.kafkaBrokers == "kafka-1:9092,kafka-2:9092")
        #expect(c.kafkaProperties["security.protocol"] == "SASL_SSL")
        #expect(c.kafkaProperties["session.timeout.ms"] == "6000")
        #expect(c.databaseURL == "postgresql://db/orders")
        #expect(c.group == "shop" && c.color == .green && c.instanceId == "pod-7" && c.staticMembership)
        #expect(c.httpHost == "127.0.0.1" && c.httpPort == 9100)
        #expect(c.drainDeadlineSeconds == 20 && c.batchSize == 1000 && c.applyConnections == 3)
        #expect(c.rebalanceProtocol == .eager && c.logFormat == .json && c.logLevel == "debug")
        #expect(!c.redactedDescription.contains("from-file"))
    }

    @Test func theScalingSignalSettingsComeFromTheFileAndTheEnvironment() throws {
        let path = try Self.file(
            "scaling:\n  max_workers: 8\n  postgres_max_events_per_second: 12000\n  drain_target_seconds: 120\n")
        let c = try ConfigurationLoader(environment: ["ORDERSTREAM_SCALING_MAX_WORKERS": "6"]).load(configPath: path)
        #expect(
            c.scalingMaxWorkers == 6 && c.scalingPostgresMaxEventsPerSecond == 12_000
                && c.scalingDrainTargetSeconds == 120)
        let defaults = OrderStreamConfiguration()
        #expect(
            defaults.scalingMaxWorkers == nil && defaults.scalingPostgresMaxEventsPerSecond == nil
                && defaults.scalingDrainTargetSeconds == 300)
        #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader(environment: ["ORDERSTREAM_SCALING_DRAIN_TARGET_SECONDS": "0"]).load(
                configPath: nil)
        }
    }

    @Test func defaultsApplyWithoutAFile() throws {
        let c = try ConfigurationLoader(environment: [:]).load(configPath: nil)
        #expect(c == OrderStreamConfiguration())
        #expect(c.kafkaBrokers == "127.0.0.1:9092" && c.databaseURL == "postgresql://localhost/orderstream")
        #expect(c.group == "orderstream" && c.color == .blue && c.httpPort == 8080)
    }

    @Test(arguments: [
        ("group: [a, b]\n", "group"),
        ("kafka:\n  brokerz: x\n", "kafka.brokerz"),
        ("http:\n  port: 70000\n", "http.port"),
        ("worker:\n  batch_size: -1\n", "worker.batch_size"),
        ("worker:\n  rebalance_protocol: sticky\n", "rebalance_protocol"),
        ("log:\n  level: loud\n", "log.level"),
        ("scaling:\n  max_workers: 0\n", "scaling.max_workers"),
        ("scaling:\n  maxworkers: 3\n", "scaling.maxworkers"),
        ("color: purple\n", "color"),
        ("- a\n- b\n", "mapping"),
        ("kafka: [\n", "not valid YAML"),
    ])
    func aBadFileIsNamed(text: String, named: String) throws {
        let path = try Self.file(text)
        do {
            _ = try ConfigurationLoader(environment: [:]).load(configPath: path)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description.contains(named), "\(error.description)")
        }
    }

    @Test func badEnvironmentIsNamed() throws {
        for (name, value) in [
            ("ORDERSTREAM_HTTP_PORT", "http"), ("ORDERSTREAM_BATCH_SIZE", "0"),
            ("ORDERSTREAM_DRAIN_DEADLINE_SECONDS", "-3"), ("ORDERSTREAM_STATIC_MEMBERSHIP", "maybe"),
            ("ORDERSTREAM_LOG_FORMAT", "xml"), ("ORDERSTREAM_GROUP", ""), ("ORDERSTREAM_NOPE", "1"),
        ] {
            #expect(throws: ConfigurationError.self) {
                try ConfigurationLoader(environment: [name: value]).load(configPath: nil)
            }
            do {
                _ = try ConfigurationLoader(environment: [name: value]).load(configPath: nil)
            } catch {
                #expect(error.description.contains(name), "\(error.description)")
            }
        }
        // Variables of the test scripts are not the worker's business.
        #expect(throws: Never.self) {
            try ConfigurationLoader(environment: ["ORDERSTREAM_TEST_X": "1"]).load(configPath: nil)
        }
    }

    @Test func secretsComeFromFilesAndAreNeverPrinted() throws {
        let secret = try Self.file("postgresql://app:s3cr3t@db/orders\n")
        let kafkaSecret = try Self.file("kafka-s3cr3t")
        let c = try ConfigurationLoader(environment: [
            "ORDERSTREAM_DATABASE_URL_FILE": secret, "ORDERSTREAM_KAFKA_SASL_PASSWORD_FILE": kafkaSecret,
        ]).load(configPath: nil)
        #expect(c.databaseURL == "postgresql://app:s3cr3t@db/orders")
        #expect(c.kafkaProperties["sasl.password"] == "kafka-s3cr3t")
        #expect(!c.redactedDescription.contains("s3cr3t"))
        #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader(environment: ["ORDERSTREAM_DATABASE_URL_FILE": "/no/such/file"]).load(
                configPath: nil)
        }
        #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader(environment: [
                "ORDERSTREAM_DATABASE_URL_FILE": secret, "ORDERSTREAM_DATABASE_URL": "x",
            ])
            .load(configPath: nil)
        }
    }

    @Test func redactionMasksURLAndConninfoPasswords() {
        #expect(Secrets.redactConnectionString("postgresql://u:pw@h/db") == "postgresql://u:***@h/db")
        #expect(Secrets.redactConnectionString("host=h password=pw user=u") == "host=h password=*** user=u")
        #expect(
            Secrets.redactConnectionString("postgresql://h/db?password=pw&sslmode=require")
                == "postgresql://h/db?password=***&sslmode=require")
        #expect(Secrets.isSecretProperty("sasl.password"))
        #expect(!Secrets.isSecretProperty("bootstrap.servers"))
    }
}
