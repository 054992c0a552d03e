import Hummingbird
import NIOCore
import SessionStore

/// Health probes (A7): liveness always 200; readiness checks the session store.
struct HealthEndpoint: Sendable {
    let store: any SessionStore

    func live(_ request: Request) throws -> Response {
        try guardMethod(request)
        return json(#"{"ok":true,"status":"live"}"#, status: .ok, head: request.method == .head)
    }

    func ready(_ request: Request, context: GatewayContext, authenticator: Authenticator) async throws -> Response {
        try guardMethod(request)
        var storeOK = true
        do {
            _ = try await store.sessions(limit: 1)
        } catch {
            storeOK = false
        }
        let status: HTTPResponse.Status = storeOK ? .ok : .serviceUnavailable
        // Details only for local or authenticated callers.
        let detailed = ClientAddress.isLoopback(context.peerIP) || (try? authenticator.authorize(request, context: context)) != nil
        let body =
            detailed
            ? #"{"ready":\#(storeOK),"checks":{"sessionStore":"\#(storeOK ? "ok" : "failing")"}}"#
            : #"{"ready":\#(storeOK)}"#
        return json(body, status: status, head: request.method == .head)
    }

    private func guardMethod(_ request: Request) throws {
        guard request.method == .get || request.method == .head else {
            throw GatewayError.methodNotAllowed(allow: "GET, HEAD")
        }
    }

    private func json(_ text: String, status: HTTPResponse.Status, head: Bool) -> Response {
        let buffer = ByteBuffer(string: text)
        let headers: HTTPFields = [
            .contentType: "application/json; charset=utf-8", .cacheControl: "no-store",
            .contentLength: String(buffer.readableBytes),
        ]
        return Response(status: status, headers: headers, body: head ? .init() : .init(byteBuffer: buffer))
    }
}
