import OrderStreamDomain
import OrderStreamWorker

/// What the HTTP API reads: the exact KPIs and orders, from PostgreSQL in production
/// (`QueryService`), from anything in tests.
public protocol ReadModel: Sendable {
    func kpis(window: KPIWindow?) async throws -> KPISnapshot
    func order(id: String) async throws -> OrderView?
    /// The order's applied events, oldest first (empty for an order never seen).
    func orderEvents(id: String) async throws -> [OrderTimeline.Entry]
}

extension QueryService: ReadModel {}
