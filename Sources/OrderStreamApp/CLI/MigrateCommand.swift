import ArgumentParser
import Foundation
import OrderStreamCommon
import OrderStreamDomain
import OrderStreamWorker
import PostgreSQL

/// `orderstream migrate`: applies the migrations that are missing, checks the applied ones, and
/// decides which color is active in the configured consumer group if it has never run.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Applies missing database migrations; refuses when an applied one changed.")

    @OptionGroup var options: GlobalOptions

    @Option(
        name: .customLong("active-color"),
        help:
            "The color that is active in a consumer group that has never run (blue or green; the database keeps blue unless told)."
    )
    var activeColor: String?

    @Flag(help: "Show what would be applied and whether the running workers stay compatible; change nothing.")
    var plan = false

    func validate() throws {
        if let activeColor, DeploymentColor(rawValue: activeColor) == nil {
            throw ValidationError("--active-color must be blue or green, not '\(activeColor)'")
        }
    }

    /// `--active-color`, checked by `validate()`.
    private var initialActiveColor: DeploymentColor? { activeColor.flatMap(DeploymentColor.init(rawValue:)) }

    func run() async throws {
        let configuration = try options.configuration()
        let logger = ProcessLogging.logger(configuration, label: "orderstream.migrate")
        if plan {
            let lines = try await Blocking.run {
                let connection = try PGConnection.connect(
                    try PGConnectionConfiguration(configuration.databaseURL).withApplicationName("orderstream:migrate"),
                    logger: logger)
                defer { connection.close() }
                return try MigrationPlan.read(group: configuration.group, on: connection).lines
            }
            print(lines.joined(separator: "\n"))
            return
        }
        let report = try await Blocking.run {
            let database = try PGConnectionConfiguration(configuration.databaseURL).withApplicationName(
                "orderstream:migrate")
            // The migration lock is a session-level advisory lock: refuse a pooler in transaction mode.
            try SessionPinningCheck.verify(database, logger: logger)
            let connection = try PGConnection.connect(database, logger: logger)
            defer { connection.close() }
            let report = try SchemaMigrations.applyUnlessLiveWorkersBlock(on: connection)
            let active = try DeploymentSettings.prepareGroup(
                configuration.group, initialActiveColor: initialActiveColor, on: connection)
            return (report, active)
        }
        print(
            "migrations applied: \(report.0.applied.map(String.init).joined(separator: ", ").ifEmpty("none")); "
                + "already applied: \(report.0.alreadyApplied.map(String.init).joined(separator: ", ").ifEmpty("none"))"
        )
        print("consumer group \(configuration.group): \(report.1.rawValue) is active")
        if let activeColor = initialActiveColor, activeColor != report.1 {
            // The group already ran: its active color is only ever changed by a cutover.
            FileHandle.standardError.write(
                Data(
                    ("orderstream migrate: consumer group \(configuration.group) already runs with \(report.1.rawValue) active; "
                        + "--active-color only decides for a group that never ran. Use `orderstream cutover --to \(activeColor.rawValue)`.\n")
                        .utf8))
            throw ExitCode(1)
        }
    }
}

extension String {
    func ifEmpty(_ replacement: String) -> String { isEmpty ? replacement : self }
}
