import ArgumentParser
import Foundation
import OrderStreamDomain
import OrderStreamWorker

/// `orderstream kpis [--from T --to T] [--json]`: the exact KPIs from PostgreSQL, as a table a
/// person can read (or the same JSON as `GET /kpis`).
struct KPIsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kpis",
        abstract: "Prints the KPIs from PostgreSQL (the same numbers as GET /kpis).")

    @OptionGroup var options: GlobalOptions

    @Option(help: "Window start (RFC 3339, whole minute); needs --to.")
    var from: String?

    @Option(help: "Window end (RFC 3339, whole minute, exclusive); needs --from.")
    var to: String?

    @Flag(help: "Print the JSON of GET /kpis.")
    var json = false

    func run() async throws {
        let window: KPIWindow?
        do {
            window = try KPIWindow.parse(from: from, to: to)
        } catch {
            throw ValidationError(error.message)
        }
        let configuration = try options.configuration()
        let logger = ProcessLogging.logger(configuration, label: "orderstream.kpis")
        let queries = try QueryService(
            databaseURL: configuration.databaseURL, applicationName: "orderstream:kpis", logger: logger)
        defer { queries.close() }
        let snapshot = try await queries.kpis(window: window)
        print(json ? snapshot.json(includeTotalsOnly: window == nil) : Self.table(snapshot, window: window))
    }

    static func table(_ k: KPISnapshot, window: KPIWindow?) -> String {
        var rows: [(String, String)] = [
            ("orders created", "\(k.ordersCreated)"),
            ("orders cancelled", "\(k.ordersCancelled)"),
            ("orders shipped", "\(k.ordersShipped)"),
            ("payments authorized", "\(k.paymentsAuthorized)"),
            ("payments failed", "\(k.paymentsFailed)"),
            ("payments captured", "\(k.paymentsCaptured)"),
            ("payments refunded", "\(k.paymentsRefunded)"),
            ("payment success rate", k.paymentSuccessRate.map { String(format: "%.2f%%", $0 * 100) } ?? "n/a"),
        ]
        for currency in k.capturedCents.keys.sorted() {
            rows.append(("captured revenue \(currency)", money(k.capturedCents[currency] ?? 0)))
        }
        for currency in k.refundedCents.keys.sorted() {
            rows.append(("refunded \(currency)", money(k.refundedCents[currency] ?? 0)))
        }
        rows.append(("active customers", "\(k.activeCustomers)"))
        rows.append(("events applied", "\(k.eventsApplied)"))
        if window == nil {
            rows.append(("duplicates skipped", "\(k.eventsDuplicate)"))
            rows.append(("rejected (dead-lettered)", "\(k.eventsRejected)"))
        }
        let title =
            window.map { "KPIs from \(RFC3339.formatMinute($0.fromMicros)) to \(RFC3339.formatMinute($0.toMicros))" }
            ?? "KPIs (all time)"
        let width = rows.map(\.0.count).max() ?? 0
        let valueWidth = rows.map(\.1.count).max() ?? 0
        let rule = String(repeating: "-", count: width + valueWidth + 5)
        var lines = [title, rule]
        for (name, value) in rows {
            lines.append(
                "  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + "   "
                    + String(repeating: " ", count: valueWidth - value.count) + value)
        }
        lines.append(rule)
        return lines.joined(separator: "\n")
    }

    /// Cents as a decimal amount with thousands separators: 1234567 -> "12,345.67".
    static func money(_ cents: Int64) -> String {
        let sign = cents < 0 ? "-" : ""
        let magnitude = cents.magnitude
        var whole = String(magnitude / 100)
        var grouped = ""
        while whole.count > 3 {
            grouped = "," + whole.suffix(3) + grouped
            whole.removeLast(3)
        }
        return sign + whole + grouped + "." + String(format: "%02d", Int(magnitude % 100))
    }
}
