import Foundation
import Hummingbird
import HummingbirdTesting
import OrderStreamDomain
import OrderStreamWorker
import Prometheus
import Testing

@testable import OrderStreamApp

/// The HTTP API without a network or a database: routes, status codes, JSON errors.
struct HTTPRoutesTests {
    /// A read model with one known order and fixed KPIs; can be told to fail like a lost database.
    struct FakeReadModel: ReadModel {
        var failing = false

        struct Down: Error {}

        func kpis(window: KPIWindow?) async throws -> KPISnapshot {
            if failing { throw Down() }
            var snapshot = KPISnapshot()
            snapshot.ordersCreated = window == nil ? 10 : 3
            snapshot.paymentsAuthorized = 3
            snapshot.paymentsFailed = 1
            snapshot.capturedCents = ["EUR": 1_500]
            return snapshot
        }

        func order(id: String) async throws -> OrderView? {
            if failing { throw Down() }
            guard ["ord-1", "ord 1", "a/b", "été-7"].contains(id) else { return nil }
            return OrderView(
                orderId: id,
                facts: OrderFacts(
                    created: true, totalCents: 1_500, currency: "EUR", customerId: "c-1",
                    capturedCents: 1_500, anyAuthorizedOrCaptured: true))
        }

        func orderEvents(id: String) async throws -> [OrderTimeline.Entry] {
            if failing { throw Down() }
            return []
        }
    }

    static func app(_ model: FakeReadModel, ready: Bool = true) -> some ApplicationProtocol {
        let registry = PrometheusCollectorRegistry()
        registry.makeCounter(
            descriptor: MetricNameDescriptor(metricName: "orderstream_test", unitName: "total", helpText: "t")
        ).increment()
        let readiness = WorkerState.Readiness(
            ready: ready, phase: ready ? "running" : "draining", role: "active",
            reasons: ready ? [] : ["worker is draining"])
        return Application(router: HTTPRoutes.router(readModel: model, readiness: { readiness }, metrics: registry))
    }

    @Test func healthMetricsKPIsAndOrders() async throws {
        try await Self.app(FakeReadModel()).test(.router) { client in
            try await client.execute(uri: "/health/live", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"ready\":true"))
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(String(buffer: response.body).contains("orderstream_test_total 1"))
            }
            try await client.execute(uri: "/kpis", method: .get) { response in
                let body = String(buffer: response.body)
                #expect(response.status == .ok)
                #expect(body.contains("\"orders_created\":10") && body.contains("\"payment_success_rate\":0.75"))
                #expect(body.contains("\"events_duplicate\":0"))
            }
            try await client.execute(uri: "/kpis?from=2026-11-26T12:00:00Z&to=2026-11-26T13:00:00Z", method: .get) {
                response in
                let body = String(buffer: response.body)
                #expect(response.status == .ok)
                #expect(body.contains("\"orders_created\":3") && !body.contains("events_duplicate"))
            }
            try await client.execute(uri: "/kpis?from=2026-11-26T12:00:01Z&to=2026-11-26T13:00:00Z", method: .get) {
                response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("\"error\""))
            }
            try await client.execute(uri: "/orders/ord-1", method: .get) { response in
                #expect(response.status == .ok)
                #expect(
                    String(buffer: response.body)
                        == #"{"order_id":"ord-1","customer_id":"c-1","status":"paid","total_cents":1500,"currency":"EUR","captured_cents":1500,"refunded_cents":0}"#
                )
            }
            try await client.execute(uri: "/orders/ord-2", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/nothing/here", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("\"error\""))
            }
        }
    }

    /// Every unknown path is the JSON 404, also those that share a prefix with a route (the route
    /// tree does not backtrack to `**` from `/kpis/x`), and so is a method no route has.
    @Test func unknownRoutesAreJSON404s() async throws {
        try await Self.app(FakeReadModel()).test(.router) { client in
            for path in ["/nothing/here", "/kpis/x", "/orders", "/health", "/health/live/x", "/orders/ord-1/events/x"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .notFound, "\(path)")
                    #expect(response.headers[.contentType] == "application/json", "\(path)")
                    #expect(String(buffer: response.body) == #"{"error":"no route \#(path)"}"#, "\(path)")
                }
            }
            try await client.execute(uri: "/kpis", method: .post) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body) == #"{"error":"no route /kpis"}"#)
            }
        }
    }

    /// Order ids are percent-decoded: a space, a slash and non-ASCII letters reach the lookup as
    /// the contract's characters, and a broken escape is a 400, never the literal text.
    @Test func orderIdsArePercentDecoded() async throws {
        try await Self.app(FakeReadModel()).test(.router) { client in
            for (path, id) in [("ord%201", "ord 1"), ("a%2Fb", "a/b"), ("%C3%A9t%C3%A9-7", "été-7")] {
                try await client.execute(uri: "/orders/\(path)", method: .get) { response in
                    #expect(response.status == .ok, "\(path)")
                    #expect(
                        String(buffer: response.body).contains(#""order_id":"\#(id)""#),
                        "\(String(buffer: response.body))")
                }
            }
            try await client.execute(uri: "/orders/ord%2", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("percent-encoded"))
            }
            try await client.execute(uri: "/orders/%FF%FE", method: .get) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/orders/ord%2/events", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("percent-encoded"))
            }
            try await client.execute(uri: "/orders/ord%201/events", method: .get) { response in
                #expect(response.status == .notFound, "no applied events")
                #expect(String(buffer: response.body).contains("order ord 1 was never seen"))
            }
            try await client.execute(uri: "/orders/ord%202", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test func anOrdersTimelineHasItsDeadLettersOrSaysWhereToLook() async throws {
        let registry = PrometheusCollectorRegistry()
        let readiness = WorkerState.Readiness(ready: true, phase: "running", role: "active", reasons: [])
        struct KafkaDown: Error {}
        let unreadable = Application(
            router: HTTPRoutes.router(
                readModel: FakeReadModel(), readiness: { readiness }, metrics: registry,
                deadLetters: { _ in throw KafkaDown() }))
        try await unreadable.test(.router) { client in
            // No applied event and the dead letters unreadable: nothing says the order exists.
            try await client.execute(uri: "/orders/ord-1/events", method: .get) { #expect($0.status == .notFound) }
        }
        let none = Application(
            router: HTTPRoutes.router(
                readModel: FakeReadModel(), readiness: { readiness }, metrics: registry, deadLetters: { _ in [] }))
        try await none.test(.router) { client in
            try await client.execute(uri: "/orders/ord-1/events", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("order ord-1 was never seen"))
            }
        }
    }

    @Test func notReadyAndDatabaseDownAreJSON503s() async throws {
        try await Self.app(FakeReadModel(failing: true), ready: false).test(.router) { client in
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains("worker is draining"))
            }
            try await client.execute(uri: "/kpis", method: .get) { #expect($0.status == .serviceUnavailable) }
            try await client.execute(uri: "/orders/ord-1", method: .get) { #expect($0.status == .serviceUnavailable) }
        }
    }
}
