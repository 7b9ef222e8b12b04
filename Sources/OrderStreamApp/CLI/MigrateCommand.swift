import ArgumentParser
import OrderStreamWorker
import PostgreSQL

/// `orderstream migrate`: applies the migrations that are missing, checks the applied ones.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Applies missing database migrations; refuses when an applied one changed.")

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let configuration = try options.configuration()
        let logger = ProcessLogging.logger(configuration, label: "orderstream.migrate")
        let report = try await Blocking.run {
            let database = try PGConnectionConfiguration(configuration.databaseURL).withApplicationName("orderstream:migrate")
            // The migration lock is a session-level advisory lock: refuse a pooler in transaction mode.
            try SessionPinningCheck.verify(database, logger: logger)
            let connection = try PGConnection.connect(database, logger: logger)
            defer { connection.close() }
            return try SchemaMigrations.apply(on: connection)
        }
        print("migrations applied: \(report.applied.map(String.init).joined(separator: ", ").ifEmpty("none")); "
              + "already applied: \(report.alreadyApplied.map(String.init).joined(separator: ", ").ifEmpty("none"))")
    }
}

extension String {
    func ifEmpty(_ replacement: String) -> String { isEmpty ? replacement : self }
}
