import Hummingbird

/// A header's name (swift-http-types' `HTTPField.Name`, which Hummingbird does not re-export by
/// that name).
typealias HeaderName = HTTPFields.Element.Name

/// Wraps every console response, the static files included: the headers that keep the page to
/// itself (a Content-Security-Policy that allows scripts, styles, images and requests from the
/// console's own origin only, and no inline script or style at all), and JSON errors for what
/// the router answers on its own (an unknown path, a wrong method).
struct ConsoleSecurityMiddleware<Context: RequestContext>: RouterMiddleware {
    static var contentSecurityPolicy: String {
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
            + "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    }

    // Names swift-http-types does not spell.
    static var xFrameOptions: HeaderName { HeaderName("X-Frame-Options")! }
    static var referrerPolicy: HeaderName { HeaderName("Referrer-Policy")! }
    static var crossOriginOpenerPolicy: HeaderName { HeaderName("Cross-Origin-Opener-Policy")! }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            // The router's own 404 (no route for this path or method), as the worker says it.
            response = ConsoleRoutes.error(ConsoleError(.notFound, "no route \(request.uri.path)"))
        } catch let error as HTTPError {
            response = ConsoleRoutes.error(
                ConsoleError(error.status, error.body ?? "\(error.status.code) \(error.status.reasonPhrase)"))
        } catch {
            response = ConsoleRoutes.error(ConsoleError.from(error))
        }
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[Self.xFrameOptions] = "DENY"
        response.headers[Self.referrerPolicy] = "no-referrer"
        response.headers[Self.crossOriginOpenerPolicy] = "same-origin"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}
