import ArgumentParser
import Foundation
import Hummingbird
import Logging
import OrderStreamDomain
import OrderStreamPublisher
import ServiceLifecycle

/// `orderstream relay`: publishes a service's outbox table (see `OutboxSchema`), in commit order
/// per order_id, with the idempotent producer; `--print-ddl` prints the table's DDL.
struct RelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Publishes the rows of a service's outbox table, in commit order per order_id.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var delivery: DeliveryOptions

    @Flag(name: .customLong("print-ddl"), help: "Print the outbox table's DDL (for the service to apply) and exit.")
    var printDDL = false

    @Option(help: "The outbox table, [schema.]name in lower case.")
    var table: String = OutboxSchema.defaultTable

    @Option(name: .customLong("batch-size"), help: "Most rows (one per order) claimed and published per transaction.")
    var batchSize: Int = 1_000

    @Option(name: .customLong("poll-interval"), help: "Seconds between polls when no NOTIFY arrives.")
    var pollInterval: Double = 1

    @Option(name: .customLong("max-in-flight"), help: "Most events waiting for the broker at once.")
    var maxInFlight: Int = 10_000

    @Option(name: .customLong("http-port"), help: "Port of /health/live, /health/ready and /metrics.")
    var httpPort: Int = 8081

    @Option(name: .customLong("instance-id"), help: "This relay's name in PostgreSQL's application_name.")
    var instanceId: String?

    func validate() throws {
        guard OutboxSchema.isValidTableName(table) else {
            throw ValidationError("--table must be [schema.]name in lower-case letters, digits and _, not \(table)")
        }
        guard (1...100_000).contains(batchSize) else { throw ValidationError("--batch-size must be 1-100000") }
        guard pollInterval > 0, pollInterval <= 3_600 else {
            throw ValidationError("--poll-interval must be in (0, 3600]")
        }
        guard (1...1_000_000).contains(maxInFlight) else { throw ValidationError("--max-in-flight must be 1-1000000") }
        guard (0...65_535).contains(httpPort) else { throw ValidationError("--http-port must be 0-65535") }
    }

    func run() async throws {
        if printDDL {
            print(OutboxSchema.ddl(table: table), terminator: "")
            return
        }
        let c = try options.configuration()
        let logger = ProcessLogging.logger(c, label: "orderstream.relay")
        let kafka = delivery.applied(to: c.kafkaConfiguration)
        var properties = c.kafkaClientProperties
        properties["message.timeout.ms"] = nil
        let seconds = DeliveryOptions.seconds(in: kafka)
        let publisher = try EventPublisher(
            configuration: PublisherConfiguration(
                brokers: c.kafkaBrokers, kafkaProperties: properties,
                deliveryTimeout: .milliseconds(Int64(seconds * 1_000)), maxInFlight: maxInFlight),
            logger: logger)
        let instance = instanceId ?? "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
        let metrics = RelayMetrics(version: BuildInfo.version, revision: BuildInfo.revision)
        let relay = OutboxRelay(
            settings: .init(
                databaseURL: c.databaseURL, table: table, batchSize: batchSize,
                pollInterval: .milliseconds(Int64(pollInterval * 1_000)),
                applicationName: "orderstream:relay:\(instance)"),
            publisher: publisher, metrics: metrics, logger: logger)
        let router = Router()
        router.get("/health/live") { _, _ in HTTPRoutes.json(.ok, #"{"status":"live"}"#) }
        router.get("/health/ready") { _, _ in
            let (ready, reasons) = relay.readiness()
            var writer = JSONWriter()
            writer.beginObject()
            writer.field("ready", ready)
            writer.key("reasons")
            writer.beginArray()
            for reason in reasons { writer.string(reason) }
            writer.endArray()
            writer.endObject()
            return HTTPRoutes.json(ready ? .ok : .serviceUnavailable, writer.text)
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(c.httpHost, port: httpPort), serverName: "orderstream-relay"),
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: app), .init(service: relay)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                cancellationSignals: [],
                logger: logger))
        try await group.run()
    }
}
