import Foundation
import Hummingbird
import OrderStreamDomain
import OrderStreamWorker
import Prometheus

/// The worker's HTTP API (see docs/interface.md): health, metrics, KPIs and orders. Every answer,
/// errors included, is JSON except `/metrics`.
public enum HTTPRoutes {
    /// Builds the router. `readiness` is asked on every `/health/ready`.
    public static func router(
        readModel: any ReadModel,
        readiness: @escaping @Sendable () -> WorkerState.Readiness,
        metrics: PrometheusCollectorRegistry
    ) -> Router<BasicRequestContext> {
        router(readModel: readModel, readiness: readiness, metrics: metrics, deadLetters: nil)
    }

    /// The router with `deadLetters`, which finds an order's dead letters for
    /// `/orders/{id}/events` (nil: the answer says where to look).
    static func router(
        readModel: any ReadModel,
        readiness: @escaping @Sendable () -> WorkerState.Readiness,
        metrics: PrometheusCollectorRegistry,
        deadLetters: (@Sendable (String) async throws -> [DeadLetter])?
    ) -> Router<BasicRequestContext> {
        let router = Router()
        // Before every route: it also wraps the router's not-found responder, which answers the
        // paths the `**` route below cannot reach (`/kpis/x`, `/orders`, `/health`: the route
        // tree does not backtrack from a partly matched prefix) and other methods.
        router.add(middleware: NoRouteJSON())
        router.get("/health/live") { _, _ in
            json(.ok, #"{"status":"live"}"#)
        }
        router.get("/health/ready") { _, _ in
            let answer = readiness()
            return json(answer.ready ? .ok : .serviceUnavailable, readinessBody(answer))
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer())))
        }
        router.get("/kpis") { request, _ in
            let window: KPIWindow?
            do {
                window = try KPIWindow.parse(
                    from: request.uri.queryParameters.get("from"), to: request.uri.queryParameters.get("to"))
            } catch let error as KPIWindowError {
                return json(.badRequest, error.jsonBody)
            } catch {
                return json(.badRequest, errorBody("invalid window"))
            }
            do {
                let snapshot = try await readModel.kpis(window: window)
                return json(.ok, snapshot.json(includeTotalsOnly: window == nil))
            } catch {
                return unavailable(error)
            }
        }
        router.get("/orders/:id") { _, context in
            // The path segment is percent-encoded: `ord%201` is the order `ord 1`, `a%2Fb` is
            // `a/b` (an id may hold any character the contract allows).
            let id: String
            switch orderId(context) {
            case .decoded(let decoded): id = decoded
            case .refused(let response): return response
            }
            do {
                guard let order = try await readModel.order(id: id) else {
                    return json(.notFound, errorBody("order \(id) was never seen"))
                }
                return json(.ok, order.json)
            } catch {
                return unavailable(error)
            }
        }
        router.get("/orders/:id/events") { _, context in
            let id: String
            switch orderId(context) {
            case .decoded(let decoded): id = decoded
            case .refused(let response): return response
            }
            do {
                let events = try await readModel.orderEvents(id: id)
                // The dead letters come from the .dlq topics; when Kafka does not answer, the
                // applied events still do, with a note instead of the letters.
                let letters = try? await deadLetters?(id)
                guard !events.isEmpty || !(letters ?? []).isEmpty else {
                    return json(.notFound, errorBody("order \(id) was never seen"))
                }
                return json(.ok, OrderTimelineJSON.body(orderId: id, events: events, deadLetters: letters))
            } catch {
                return unavailable(error)
            }
        }
        router.get("**") { request, _ in
            json(.notFound, errorBody("no route \(request.uri.path)"))
        }
        return router
    }

    /// Turns the router's own 404 (an `HTTPError` without a body) into the JSON error every other
    /// answer has: `{"error":"no route <path>"}`.
    struct NoRouteJSON: RouterMiddleware {
        typealias Context = BasicRequestContext

        func handle(
            _ request: Request, context: Context, next: (Request, Context) async throws -> Response
        ) async throws -> Response {
            do {
                return try await next(request, context)
            } catch let error as HTTPError where error.status == .notFound {
                return json(.notFound, errorBody("no route \(request.uri.path)"))
            }
        }
    }

    /// The percent-decoded `:id` of an order route, or the 400 to answer.
    static func orderId(_ context: BasicRequestContext) -> OrderIdInPath {
        guard let raw = context.parameters.get("id"), !raw.isEmpty else {
            return .refused(json(.badRequest, errorBody("an order id is required")))
        }
        guard let id = raw.removingPercentEncoding, !id.isEmpty else {
            return .refused(json(.badRequest, errorBody("the order id is not valid percent-encoded UTF-8")))
        }
        return .decoded(id)
    }

    /// An order route's `:id`: the decoded id, or the 400 that says why there is none.
    enum OrderIdInPath {
        case decoded(String)
        case refused(Response)
    }

    static func readinessBody(_ readiness: WorkerState.Readiness) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("ready", readiness.ready)
        writer.field("phase", readiness.phase)
        writer.field("role", readiness.role)
        writer.key("reasons")
        writer.beginArray()
        for reason in readiness.reasons { writer.string(reason) }
        writer.endArray()
        writer.endObject()
        return writer.text
    }

    static func errorBody(_ message: String) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("error", message)
        writer.endObject()
        return writer.text
    }

    /// A read that failed because PostgreSQL did not answer: 503, with the error's kind only
    /// (errors of the PostgreSQL layer never carry secrets, but data has no place here either).
    static func unavailable(_ error: any Error) -> Response {
        json(.serviceUnavailable, errorBody("the database did not answer: \(type(of: error))"))
    }

    static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
