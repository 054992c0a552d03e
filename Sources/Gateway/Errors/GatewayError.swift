import AgentRuntime
import Foundation
import HTTPTypes
import Hummingbird
import ModelProviders
import OpenAIWire

/// Every error the gateway answers with, rendered in one place: the OpenAI envelope
/// `{"error":{"message","type","code"?}}` (C7, D3, F, L4), or plain text for 404/405 (A5, N).
struct GatewayError: Error, HTTPResponseError, Sendable {
    var status: HTTPResponse.Status
    var message: String
    var type: String
    var code: String?
    var plainText = false
    var extraHeaders: HTTPFields = [:]

    static let notFound = GatewayError(status: .notFound, message: "Not Found", type: "", plainText: true)

    static func methodNotAllowed(allow: String) -> GatewayError {
        GatewayError(
            status: .methodNotAllowed, message: "Method Not Allowed", type: "", plainText: true,
            extraHeaders: [.allow: allow])
    }

    static let unauthorized = GatewayError(status: .unauthorized, message: "Unauthorized", type: "unauthorized")

    static func rateLimited(retryAfterMs: Int) -> GatewayError {
        var headers: HTTPFields = [:]
        let seconds = (retryAfterMs + 999) / 1000
        if seconds > 0 { headers[.retryAfter] = String(seconds) }
        return GatewayError(
            status: .tooManyRequests,
            message: "Too many failed authentication attempts. Please try again later.", type: "rate_limited",
            extraHeaders: headers)
    }

    static let payloadTooLarge = GatewayError(
        status: .contentTooLarge, message: "Payload too large", type: "invalid_request_error")

    static let bodyTimeout = GatewayError(
        status: .requestTimeout, message: "Request body timeout", type: "invalid_request_error")

    static func invalidRequest(_ message: String) -> GatewayError {
        GatewayError(status: .badRequest, message: message, type: "invalid_request_error")
    }

    static let internalError = GatewayError(status: .internalServerError, message: "internal error", type: "api_error")

    /// L4: a failed run → status and envelope.
    static func fromRun(_ error: any Error) -> GatewayError {
        if let e = error as? GatewayError { return e }
        if let e = error as? RequestValidationError { return .invalidRequest(e.message) }
        if let e = error as? AgentError {
            switch e.kind {
            case .unknownAgent, .invalidModel: return .invalidRequest(e.message)
            case .timeout: return GatewayError(status: .gatewayTimeout, message: e.message, type: "api_error")
            case .toolChoiceUnmet: return GatewayError(status: .badGateway, message: e.message, type: "api_error")
            }
        }
        guard let e = error as? ProviderError else { return .internalError }
        let providerStatus = e.status.map { HTTPResponse.Status(code: $0) }
        switch e.kind {
        case .auth:
            return GatewayError(status: .unauthorized, message: e.message, type: "authentication_error", code: e.code)
        case .permission:
            return GatewayError(status: .forbidden, message: e.message, type: "permission_error", code: e.code)
        case .billing:
            return GatewayError(
                status: providerStatus ?? HTTPResponse.Status(code: 402), message: e.message, type: "insufficient_quota", code: e.code)
        case .format, .modelNotFound:
            let status = providerStatus.flatMap { $0.kind == .clientError ? $0 : nil } ?? .badRequest
            return GatewayError(status: status, message: e.message, type: "invalid_request_error", code: e.code)
        case .rateLimit:
            return GatewayError(
                status: providerStatus ?? .tooManyRequests, message: e.message, type: "rate_limit_error", code: e.code)
        case .serverError, .connection:
            return GatewayError(status: .badGateway, message: "upstream provider error", type: "api_error")
        case .timeout:
            return GatewayError(status: .gatewayTimeout, message: "upstream provider timeout", type: "api_error")
        case .overloaded:
            return GatewayError(status: .serviceUnavailable, message: "upstream provider overloaded", type: "api_error")
        case .unavailable:
            return GatewayError(status: .serviceUnavailable, message: e.message, type: "api_error")
        case .unknown:
            return .internalError
        }
    }

    var envelope: OpenAIErrorEnvelope { OpenAIErrorEnvelope(message: message, type: type, code: code) }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = extraHeaders
        let body: ByteBuffer
        if plainText {
            headers[.contentType] = "text/plain; charset=utf-8"
            body = ByteBuffer(string: message)
        } else {
            headers[.contentType] = "application/json; charset=utf-8"
            body = ByteBuffer(bytes: JSONCoding.compactData(envelope))
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }
}
