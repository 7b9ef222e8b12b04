import Hummingbird
import Logging
import OrderStreamWorker

/// What every console action passes before it runs: the bearer token, the actor's name
/// (`X-OrderStream-Actor`, recorded as `console:<name>`), and a strict JSON body.
struct ConsoleActionGate: Sendable {
    static let actorHeader = HeaderName("X-OrderStream-Actor")!

    let token: ConsoleToken?
    let logger: Logger

    /// The actor's audit name, or the refusal: 403 when the console has no token (actions are
    /// off), 401 without the right token, 400 for a bad actor name.
    func authorize(_ headers: HTTPFields) -> Result<String, ConsoleError> {
        guard let token else {
            return .failure(
                ConsoleError(
                    .forbidden,
                    "actions are disabled: this console was started without a token (ORDERSTREAM_CONSOLE_TOKEN_FILE or --token-file)"
                ))
        }
        switch token.check(authorization: headers[.authorization]) {
        case .accepted: break
        case .missing:
            return .failure(
                ConsoleError(.unauthorized, "this action needs the console token: Authorization: Bearer <token>"))
        case .malformed: return .failure(ConsoleError(.unauthorized, "the Authorization header must be Bearer <token>"))
        case .wrong: return .failure(ConsoleError(.unauthorized, "the console token is wrong"))
        }
        guard let given = headers[Self.actorHeader] else { return .success("console") }
        switch OperationsLog.actor(given: given) {
        case .success(let name): return .success("console:\(name)")
        case .failure:
            return .failure(ConsoleError(.badRequest, "X-OrderStream-Actor must be 1 to 200 printable characters"))
        }
    }

    /// Authorizes `request`, reads its body (only `fields` allowed), runs `body` with the parsed
    /// body and the actor, and answers its JSON or its error.
    func act(
        _ request: Request, fields: Set<String>,
        _ body: @Sendable (ConsoleRequestBody, String) async throws -> String
    ) async -> Response {
        let actor: String
        switch authorize(request.headers) {
        case .success(let name): actor = name
        case .failure(let refusal):
            logger.warning(
                "console action refused", metadata: ["path": "\(request.uri.path)", "status": "\(refusal.status.code)"])
            return ConsoleRoutes.error(refusal)
        }
        do {
            // A body must say it is JSON: a form or text/plain post is refused, not parsed.
            if let type = request.headers[.contentType],
                type.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
                    != "application/json"
            {
                throw ConsoleError(.unsupportedMediaType, "the request body must be application/json, not \(type)")
            }
            let bytes: [UInt8]
            do {
                let buffer = try await request.body.collect(upTo: ConsoleRequestBody.maximumBytes)
                bytes = Array(buffer.readableBytesView)
            } catch {
                throw ConsoleError(
                    .contentTooLarge, "the request body is larger than \(ConsoleRequestBody.maximumBytes) bytes")
            }
            let parsed = try ConsoleRequestBody(bytes, allowed: fields)
            logger.notice("console action", metadata: ["path": "\(request.uri.path)", "actor": "\(actor)"])
            return ConsoleRoutes.json(.ok, try await body(parsed, actor))
        } catch {
            return ConsoleRoutes.error(ConsoleError.from(error))
        }
    }
}
