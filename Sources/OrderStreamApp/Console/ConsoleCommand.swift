import ArgumentParser
import Foundation
import Hummingbird
import Logging
import OrderStreamWorker
import ServiceLifecycle

/// `orderstream console`: the operator console, one web page for KPIs, partitions, dead letters,
/// deployments and orders, and its JSON API; until SIGTERM/SIGINT. Read-only without the token;
/// binds to 127.0.0.1 unless told otherwise.
struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Serves the operator console (KPIs, partitions, dead letters, deployments, orders) and its JSON API.",
        discussion: """
            Views are read-only without credentials. Actions (replay, pause, resume, canary, promote, abort, cutover, \
            rollback) need Authorization: Bearer <token>, the token read from the file named by \
            ORDERSTREAM_CONSOLE_TOKEN_FILE or --token-file (at least 16 characters); every action is recorded in the \
            operations audit as console:<actor>.
            """)

    @OptionGroup var options: GlobalOptions

    @Option(name: .customLong("http-port"), help: "Port of the console.")
    var httpPort: Int = 8090

    @Option(name: .customLong("http-host"), help: "Address to bind; 0.0.0.0 exposes the console to the network.")
    var httpHost: String = "127.0.0.1"

    @Option(
        name: .customLong("token-file"),
        help: "File holding the actions' bearer token (overrides ORDERSTREAM_CONSOLE_TOKEN_FILE).")
    var tokenFile: String?

    @Option(
        name: .customLong("cutover-timeout"), help: "Seconds a deployment action waits for the new color to commit.")
    var cutoverTimeout: Double = 30

    func validate() throws {
        guard (1...65_535).contains(httpPort) else { throw ValidationError("--http-port must be 1-65535") }
        guard !httpHost.isEmpty else { throw ValidationError("--http-host must not be empty") }
        guard cutoverTimeout > 0, cutoverTimeout.isFinite else {
            throw ValidationError("--cutover-timeout must be a positive number of seconds")
        }
    }

    func run() async throws {
        let configuration = try options.configuration()
        let logger = ProcessLogging.logger(configuration, label: "orderstream.console")
        let token: ConsoleToken?
        if let tokenFile {
            token = try ConsoleToken.load(path: tokenFile, source: "--token-file")
        } else if let text = configuration.consoleToken {
            token = try ConsoleToken(text, source: "ORDERSTREAM_CONSOLE_TOKEN_FILE")
        } else {
            token = nil
            logger.notice("no console token: the console is read-only (actions answer 403)")
        }
        let queries = try QueryService(
            databaseURL: configuration.databaseURL, applicationName: "orderstream:console", logger: logger)
        let reads = ConsoleReads(
            configuration: configuration, queries: queries,
            scans: DeadLetterScans(configuration: configuration, logger: logger), logger: logger)
        let actions = ConsoleActions(
            configuration: configuration, logger: logger,
            cutoverTimeout: .milliseconds(Int64(cutoverTimeout * 1000)))
        let router = ConsoleRoutes.router(reads: reads, actions: actions, token: token, logger: logger)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(httpHost, port: httpPort), serverName: "orderstream-console"),
            logger: logger)
        logger.notice("console on http://\(httpHost):\(httpPort)/ (group \(configuration.group))")
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [],
                logger: logger))
        try await group.run()
        queries.close()
    }
}
