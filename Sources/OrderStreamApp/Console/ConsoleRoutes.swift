import Foundation
import Hummingbird
import Logging
import OrderStreamDomain
import OrderStreamWorker

/// The console's HTTP surface (docs/openapi.yaml): the page and its two static files, the JSON
/// twins of its views under `/api/`, and the actions under `/api/` with POST. Reads need no
/// credentials; every action needs `Authorization: Bearer <token>`. Every answer but the page,
/// its files and `/health/live` is JSON, errors included (`{"error": "..."}`).
enum ConsoleRoutes {
    static func router(
        reads: ConsoleReads, actions: ConsoleActions, token: ConsoleToken?, logger: Logger
    )
        -> Router<BasicRequestContext>
    {
        let router = Router()
        router.add(middleware: ConsoleSecurityMiddleware())
        router.get("/") { _, _ in asset(ConsoleAssets.page, type: "text/html; charset=utf-8") }
        router.get("/assets/console.js") { _, _ in asset(ConsoleAssets.script, type: "text/javascript; charset=utf-8") }
        router.get("/assets/console.css") { _, _ in asset(ConsoleAssets.style, type: "text/css; charset=utf-8") }
        router.get("/assets/favicon.svg") { _, _ in asset(ConsoleAssets.icon, type: "image/svg+xml") }
        router.get("/health/live") { _, _ in json(.ok, #"{"status":"live"}"#) }

        router.get("/api/kpis") { request, _ in
            await answer {
                try await reads.kpis(window: try window(request))
            }
        }
        router.get("/api/kpis/minutes") { request, _ in
            await answer {
                guard let window = try window(request) else {
                    throw ConsoleError(.badRequest, "from and to are required")
                }
                return try await reads.minutes(window: window)
            }
        }
        router.get("/api/partitions") { _, _ in await answer { try await reads.partitions() } }
        router.get("/api/dead-letters") { request, _ in
            await answer {
                let limit = try integer(request, "limit", default: 100, in: 1...1_000)
                return try await reads.deadLetters(try filter(request), limit: limit)
            }
        }
        router.get("/api/dead-letters/stats") { request, _ in
            await answer { try await reads.deadLetterStats(try filter(request)) }
        }
        router.get("/api/dead-letters/:topic/:partition/:offset") { _, context in
            await answer {
                let coordinates = try LetterCoordinates(
                    parsing: [
                        context.parameters.get("topic") ?? "", context.parameters.get("partition") ?? "",
                        context.parameters.get("offset") ?? "",
                    ].joined(separator: ":"))
                guard let letter = try await reads.deadLetter(coordinates) else {
                    throw ConsoleError(.notFound, "no dead letter at \(coordinates)")
                }
                return letter
            }
        }
        router.get("/api/replays") { request, _ in
            await answer { try await reads.replays(limit: try integer(request, "limit", default: 100, in: 1...1_000)) }
        }
        router.get("/api/deployments") { _, _ in await answer { try await reads.deployments() } }
        router.get("/api/operations") { request, _ in
            await answer {
                try await reads.operations(limit: try integer(request, "limit", default: 50, in: 1...1_000))
            }
        }
        router.get("/api/orders/:id") { _, context in
            await answer {
                guard let raw = context.parameters.get("id"), let id = raw.removingPercentEncoding, !id.isEmpty else {
                    throw ConsoleError(.badRequest, "the order id is missing or not valid percent-encoded UTF-8")
                }
                guard let order = try await reads.order(id: id) else {
                    throw ConsoleError(.notFound, "order \(id) was never seen")
                }
                return order
            }
        }

        let gate = ConsoleActionGate(token: token, logger: logger)
        router.post("/api/dead-letters/replay") { request, _ in
            await gate.act(
                request,
                fields: ["letters", "topic", "reason", "order_id", "since", "until", "limit", "max_replays", "dry_run"]
            ) {
                try await actions.replay($0, actor: $1)
            }
        }
        router.post("/api/partitions/pause") { request, _ in
            await gate.act(request, fields: ["topic", "partition"]) { try await actions.setPaused(true, $0, actor: $1) }
        }
        router.post("/api/partitions/resume") { request, _ in
            await gate.act(request, fields: ["topic", "partition"]) {
                try await actions.setPaused(false, $0, actor: $1)
            }
        }
        for step in [ConsoleActions.Step.cutover, .canary, .promote, .abort, .rollback] {
            let fields: Set<String> =
                step == .canary ? ["to", "partitions", "share", "restore_point"] : ["to", "restore_point"]
            router.post(RouterPath("/api/deployments/\(step.rawValue)")) { request, _ in
                await gate.act(request, fields: fields) { try await actions.deploy(step, $0, actor: $1) }
            }
        }
        return router
    }

    // MARK: answers

    /// Runs a read; its error becomes the JSON error it stands for.
    static func answer(_ body: () async throws -> String) async -> Response {
        do { return json(.ok, try await body()) } catch { return self.error(ConsoleError.from(error)) }
    }

    static func asset(_ bytes: [UInt8], type: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        HTTPRoutes.json(status, body)
    }

    static func error(_ error: ConsoleError) -> Response {
        var response = json(error.status, HTTPRoutes.errorBody(error.message))
        if error.status == .unauthorized { response.headers[.wwwAuthenticate] = #"Bearer realm="orderstream-console""# }
        return response
    }

    // MARK: query parameters

    static func window(_ request: Request) throws -> KPIWindow? {
        let parameters = request.uri.queryParameters
        do {
            return try KPIWindow.parse(from: parameters.get("from"), to: parameters.get("to"))
        } catch {
            throw ConsoleError(.badRequest, error.message)
        }
    }

    static func integer(
        _ request: Request, _ name: String, default fallback: Int, in range: ClosedRange<Int>
    ) throws -> Int {
        guard let text = request.uri.queryParameters.get(name) else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw ConsoleError(
                .badRequest, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    static func filter(_ request: Request) throws -> DeadLetterFilter {
        let parameters = request.uri.queryParameters
        return try DeadLetterFilter.make(
            topic: parameters.get("topic"), reason: parameters.get("reason"), orderId: parameters.get("order_id"),
            since: parameters.get("since"), until: parameters.get("until"))
    }
}
