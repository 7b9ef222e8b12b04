import Foundation
import Logging
import OrderStreamDomain
import OrderStreamWorker
import PostgreSQL

/// What the console's views read, as JSON documents: the twins of the pages (every number a
/// page shows comes from one of these). PostgreSQL through a small pool of connections, Kafka
/// through short-lived clients on threads of their own; nothing blocks the cooperative pool.
struct ConsoleReads: Sendable {
    let configuration: OrderStreamConfiguration
    let queries: QueryService
    let scans: DeadLetterScans
    let logger: Logger

    /// `/api/kpis`: the body of the worker's `/kpis`.
    func kpis(window: KPIWindow?) async throws -> String {
        try await queries.kpis(window: window).json(includeTotalsOnly: window == nil)
    }

    /// `/api/kpis/minutes`: every minute of the window.
    func minutes(window: KPIWindow) async throws -> String {
        guard (window.toMicros - window.fromMicros) / 60_000_000 <= KPISeries.maximumMinutes else {
            throw ConsoleError(.badRequest, "a series covers at most \(KPISeries.maximumMinutes) minutes")
        }
        let series = try await queries.withConnection { connection throws(PGError) in
            try KPISeries.minutes(window: window, on: connection)
        }
        return ConsoleJSON.series(series, window: window)
    }

    /// `/api/partitions`: `orderstream status --json`.
    func partitions() async throws -> String {
        try await StatusReport.measure(configuration, applicationName: "orderstream:console", logger: logger).json
    }

    /// `/api/dead-letters`: the letters the filter matches, newest first, at most `limit`, and how
    /// many matched in all.
    func deadLetters(_ filter: DeadLetterFilter, limit: Int) async throws -> String {
        let letters = try await DeadLetterInbox.letters(matching: filter, configuration: configuration, logger: logger)
        let newestFirst = letters.sorted {
            ($0.timestampMillis ?? 0, $0.coordinates) > ($1.timestampMillis ?? 0, $1.coordinates)
        }
        return ConsoleJSON.letters(Array(newestFirst.prefix(limit)), matched: letters.count)
    }

    /// `/api/dead-letters/stats`.
    func deadLetterStats(_ filter: DeadLetterFilter) async throws -> String {
        DeadLetterStats(
            try await DeadLetterInbox.letters(matching: filter, configuration: configuration, logger: logger)
        ).json
    }

    /// `/api/dead-letters/{topic}/{partition}/{offset}`: nil when there is no such letter.
    func deadLetter(_ coordinates: LetterCoordinates) async throws -> String? {
        try await DeadLetterInbox.letter(at: coordinates, configuration: configuration, logger: logger).map(
            ConsoleJSON.letter)
    }

    /// `/api/replays`: `dlq history --json`.
    func replays(limit: Int) async throws -> String {
        let group = configuration.group
        return ReplayLog.json(
            try await queries.withConnection { connection throws(PGError) in
                try ReplayLog.history(group: group, limit: limit, on: connection)
            })
    }

    /// `/api/deployments`.
    func deployments() async throws -> String {
        let group = configuration.group
        return try await queries.withConnection { connection throws(PGError) in
            try DeploymentHistory.json(group: group, on: connection)
        }
    }

    /// `/api/operations`: the audit, newest first.
    func operations(limit: Int) async throws -> String {
        let group = configuration.group
        return ConsoleJSON.operations(
            try await queries.withConnection { connection throws(PGError) in
                try OperationsLog.recent(group: group, limit: limit, on: connection)
            })
    }

    /// `/api/orders/{id}`: the order, its applied events and its dead letters; nil when the order
    /// was never seen. When Kafka does not answer, the letters are replaced by a note.
    func order(id: String) async throws -> String? {
        let order = try await queries.order(id: id)
        let events = try await queries.orderEvents(id: id)
        let letters = try? await scans.letters(ofOrder: id)
        guard order != nil || !events.isEmpty || !(letters ?? []).isEmpty else { return nil }
        return ConsoleJSON.order(
            order, timeline: OrderTimelineJSON.body(orderId: id, events: events, deadLetters: letters))
    }
}
