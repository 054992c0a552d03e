import Foundation
import Hummingbird
import Logging
import NIOCore

/// The HTTP front: exact-path dispatch (A5, A6), 405 with `Allow`, plain-text 404, the check
/// order of C8, baseline security headers on every response (A4), and one place where errors
/// become responses.
struct GatewayResponder: HTTPResponder {
    typealias Context = GatewayContext

    let authenticator: Authenticator
    let chatCompletions: ChatCompletionsEndpoint?
    let responses: ResponsesEndpoint?
    /// Served when any OpenAI-compatible endpoint is enabled (B1).
    let models: ModelsEndpoint?
    let health: HealthEndpoint

    func respond(to request: Request, context: GatewayContext) async throws -> Response {
        let started = ContinuousClock.now
        var response: Response
        do {
            response = try await route(request, context: context)
        } catch let error as GatewayError {
            response = try error.response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            response = try GatewayError(status: error.status, message: "\(error.status.reasonPhrase)", type: "invalid_request_error")
                .response(from: request, context: context)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(error)"])
            response = try GatewayError.internalError.response(from: request, context: context)
        }
        Self.addSecurityHeaders(&response.headers)
        context.logger.debug(
            "request",
            metadata: [
                "http.method": "\(request.method)", "http.path": "\(request.uri.path)",
                "http.status": "\(response.status.code)",
                "http.duration_ms": "\((ContinuousClock.now - started).components.attoseconds / 1_000_000_000_000_000)",
            ])
        return response
    }

    private func route(_ request: Request, context: GatewayContext) async throws -> Response {
        switch request.uri.path {
        case "/v1/chat/completions" where chatCompletions != nil:
            guard request.method == .post else { throw GatewayError.methodNotAllowed(allow: "POST") }
            try authenticator.authorize(request, context: context)
            return try await chatCompletions!.handle(request, context: context)
        case "/v1/responses" where responses != nil:
            guard request.method == .post else { throw GatewayError.methodNotAllowed(allow: "POST") }
            try authenticator.authorize(request, context: context)
            return try await responses!.handle(request, context: context)
        case "/v1/models" where models != nil:
            guard request.method == .get || request.method == .head else { throw GatewayError.methodNotAllowed(allow: "GET") }
            try authenticator.authorize(request, context: context)
            return models!.list()
        case let path where models != nil && path.hasPrefix("/v1/models/"):
            guard request.method == .get || request.method == .head else { throw GatewayError.methodNotAllowed(allow: "GET") }
            try authenticator.authorize(request, context: context)
            return try models!.model(rawId: String(path.dropFirst("/v1/models/".count)))
        case "/health", "/healthz":
            return try health.live(request)
        case "/ready", "/readyz":
            return try await health.ready(request, context: context, authenticator: authenticator)
        default:
            throw GatewayError.notFound
        }
    }

    static func addSecurityHeaders(_ headers: inout HTTPFields) {
        headers[.xContentTypeOptions] = "nosniff"
        headers[.referrerPolicy] = "no-referrer"
        headers[.permissionsPolicy] = "camera=(), microphone=(self), geolocation=()"
    }
}
