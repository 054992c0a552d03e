import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OpenAIWire
import Testing

@Suite("Routing, auth and request errors end to end")
struct HTTPErrorTests {
    @Test("a disabled endpoint is 404 text/plain (A6, B1)")
    func disabledEndpoint() async throws {
        let config = #"{ gateway: { auth: { token: "t" } }, agents: { defaults: { model: "none/x" } } }"#
        try await TestGateway.with(config: config) { gateway in
            let r = try await gateway.request(headers: [("Authorization", "Bearer t")], body: chatBody("x"))
            #expect(r.status == 404)
            #expect(r.body == "Not Found")
            #expect(r.headers["content-type"].first == "text/plain; charset=utf-8")
        }
    }

    @Test("unknown paths and a trailing slash are 404; security headers on every response (A4, A6)")
    func notFoundAndHeaders() async throws {
        try await TestGateway.withUpstream { gateway, _ in
            for path in ["/v1/chat/completions/", "/v1/nope", "/"] {
                let r = try await gateway.request(.POST, path, body: chatBody("x"))
                #expect(r.status == 404, "\(path)")
                #expect(r.headers["x-content-type-options"].first == "nosniff")
                #expect(r.headers["referrer-policy"].first == "no-referrer")
                #expect(r.headers["permissions-policy"].first == "camera=(), microphone=(self), geolocation=()")
            }
        }
    }

    @Test("a wrong method is 405 with Allow: POST, even without credentials (C8, N)")
    func wrongMethod() async throws {
        try await TestGateway.withUpstream { gateway, _ in
            for method in [HTTPMethod.GET, .PUT, .DELETE] {
                let r = try await gateway.request(method, headers: [])
                #expect(r.status == 405)
                #expect(r.headers["allow"].first == "POST")
                #expect(r.body == "Method Not Allowed")
            }
        }
    }

    @Test("health probes answer GET and HEAD, refuse other methods with 405 Allow: GET, HEAD (A7)")
    func healthProbes() async throws {
        try await TestGateway.withUpstream { gateway, _ in
            for path in ["/health", "/healthz"] {
                let r = try await gateway.request(.GET, path, headers: [])
                #expect(r.status == 200)
                #expect(r.json == .object(["ok": .bool(true), "status": .string("live")]))
                #expect(r.headers["cache-control"].first == "no-store")
                let head = try await gateway.request(.HEAD, path, headers: [])
                #expect(head.status == 200 && head.body.isEmpty)
            }
            let ready = try await gateway.request(.GET, "/readyz", headers: [])
            #expect(ready.status == 200)
            #expect(ready.json?["ready"]?.boolValue == true)
            let post = try await gateway.request(.POST, "/health", headers: [])
            #expect(post.status == 405)
            #expect(post.headers["allow"].first == "GET, HEAD")
        }
    }

    @Test("missing, malformed or wrong bearer credentials get the 401 envelope (C3, C5, C7)")
    func unauthorized() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            let cases: [[(String, String)]] = [
                [],
                [("Authorization", TestGateway.token)],
                [("Authorization", "Basic \(TestGateway.token)")],
                [("Authorization", "Bearer ")],
                [("Authorization", "Bearer wrong-token")],
                [("Authorization", "Bearer \(TestGateway.token)x")],
            ]
            for headers in cases {
                let r = try await gateway.request(headers: headers, body: chatBody("x"))
                #expect(r.status == 401)
                #expect(r.body == #"{"error":{"message":"Unauthorized","type":"unauthorized"}}"#)
                #expect(r.headers["content-type"].first == "application/json; charset=utf-8")
            }
            let spaced = try await gateway.request(
                headers: [("Authorization", "  BEARER   \(TestGateway.token)  ")], body: chatBody("x"))
            #expect(spaced.status == 200)
            #expect(await upstream.recorder.requests.count == 1)
        }
    }

    @Test("password mode accepts the password as a bearer credential (C2, C3)")
    func passwordMode() async throws {
        try await FakeUpstream.with { upstream in
            let config = TestGateway.config(upstream: upstream).replacingOccurrences(
                of: #"auth: { mode: "token", token: "\#(TestGateway.token)" }"#, with: #"auth: { mode: "password" }"#)
            try await TestGateway.with(config: config, environment: ["OPENCLAW_GATEWAY_PASSWORD": "pw-123"]) { gateway in
                let ok = try await gateway.request(headers: [("Authorization", "Bearer pw-123")], body: chatBody("x"))
                #expect(ok.status == 200)
                let bad = try await gateway.request(headers: [("Authorization", "Bearer nope")], body: chatBody("x"))
                #expect(bad.status == 401)
            }
        }
    }

    @Test("the failed-auth limiter locks after maxAttempts: 429 with Retry-After, even for the right token (D1-D3, D-10)")
    func rateLimiter() async throws {
        try await FakeUpstream.with { upstream in
            let config = TestGateway.config(upstream: upstream).replacingOccurrences(
                of: #"token: "\#(TestGateway.token)" }"#,
                with: #"token: "\#(TestGateway.token)", rateLimit: { maxAttempts: 3, lockoutMs: 60000, exemptLoopback: false } }"#)
            try await TestGateway.with(config: config) { gateway in
                let wrong = [("Authorization", "Bearer wrong")]
                // A missing credential is not counted (C5).
                for _ in 0..<5 { #expect(try await gateway.request(headers: [], body: chatBody("x")).status == 401) }
                #expect(try await gateway.request(headers: wrong, body: chatBody("x")).status == 401)
                // A success resets the history.
                #expect(try await gateway.chat(chatBody("x")).status == 200)
                for _ in 0..<3 { #expect(try await gateway.request(headers: wrong, body: chatBody("x")).status == 401) }
                let locked = try await gateway.chat(chatBody("x"))
                #expect(locked.status == 429)
                #expect(locked.errorType == "rate_limited")
                #expect(locked.errorMessage == "Too many failed authentication attempts. Please try again later.")
                let retryAfter = try #require(locked.headers["retry-after"].first.flatMap(Int.init))
                #expect(retryAfter > 50 && retryAfter <= 60)
            }
        }
    }

    @Test("loopback clients are exempt from the limiter by default (D1)")
    func loopbackExempt() async throws {
        try await FakeUpstream.with { upstream in
            let config = TestGateway.config(upstream: upstream).replacingOccurrences(
                of: #"token: "\#(TestGateway.token)" }"#, with: #"token: "\#(TestGateway.token)", rateLimit: { maxAttempts: 2 } }"#)
            try await TestGateway.with(config: config) { gateway in
                for _ in 0..<4 {
                    _ = try await gateway.request(headers: [("Authorization", "Bearer wrong")], body: chatBody("x"))
                }
                #expect(try await gateway.chat(chatBody("x")).status == 200)
            }
        }
    }

    @Test("bodies over 20 MiB are 413 with the envelope; unauthenticated ones are 401 first (B2, C8, F1)")
    func payloadTooLarge() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            let big = String(repeating: "a", count: 20 * 1024 * 1024 + 1)
            let r = try await gateway.chat(big)
            #expect(r.status == 413)
            #expect(r.body == #"{"error":{"message":"Payload too large","type":"invalid_request_error"}}"#)
            let unauthenticated = try await gateway.request(headers: [], body: big)
            #expect(unauthenticated.status == 401)
            // A declared Content-Length over the limit is refused before any body byte arrives.
            let head = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(TestGateway.token)\r\nContent-Length: 30000000\r\n\r\n"
            let raw = try await RawHTTP.exchange(port: gateway.port, send: head)
            #expect(raw.hasPrefix("HTTP/1.1 413"))
            #expect(await upstream.recorder.requests.isEmpty)
        }
    }

    @Test("a body that does not arrive in time is 408 with the envelope (F2)")
    func bodyTimeout() async throws {
        try await FakeUpstream.with { upstream in
            let config = TestGateway.config(upstream: upstream)
            try await TestGateway.with(config: config, bodyTimeout: .milliseconds(300)) { gateway in
                // Declares 100 bytes, sends 10, then waits.
                let head = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(TestGateway.token)\r\nContent-Length: 100\r\n\r\n{\"messages"
                let raw = try await RawHTTP.exchange(port: gateway.port, send: head)
                #expect(raw.hasPrefix("HTTP/1.1 408"))
                #expect(raw.contains(#"{"error":{"message":"Request body timeout","type":"invalid_request_error"}}"#))
                #expect(await upstream.recorder.requests.isEmpty)
            }
        }
    }

    @Test("bad JSON, wrong types and missing user messages are 400 invalid_request_error (F3, F5, F6, I6)")
    func validation() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            let cases: [(String, String?)] = [
                ("{not json", nil),
                ("", "Missing user message in `messages`."),
                ("   \n", "Missing user message in `messages`."),
                ("[1,2]", "Request body: Expected object, received array"),
                (#"{"model":5,"messages":[]}"#, "model: Expected string, received number"),
                (#"{"messages":"hi"}"#, "messages: Expected array, received string"),
                (#"{"stream":"yes","messages":[{"role":"user","content":"x"}]}"#, "stream: Expected boolean, received string"),
                (#"{"messages":[{"role":"system","content":"only system"}]}"#, "Missing user message in `messages`."),
                (#"{"messages":[{"role":"user","content":"x"}],"temperature":3}"#, "`temperature` must be between 0 and 2."),
                (#"{"messages":[{"role":"user","content":"x"}],"max_tokens":0}"#, "`max_tokens` must be a positive integer."),
                (#"{"messages":[{"role":"user","content":"x"}],"stop":["a","b","c","d","e"]}"#, nil),
                (#"{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"xml"}}"#, nil),
                (#"{"messages":[{"role":"user","content":"x"}],"tools":{}}"#, "Invalid tools/tool_choice: tools must be an array"),
                (#"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]}]}"#,
                    "Invalid image_url content in `messages`."),
            ]
            for (body, message) in cases {
                let r = try await gateway.chat(body)
                #expect(r.status == 400, "\(body)")
                #expect(r.errorType == "invalid_request_error", "\(body)")
                if let message { #expect(r.errorMessage == message, "\(body)") }
            }
            #expect(await upstream.recorder.requests.isEmpty)
        }
    }

    @Test("unknown agents, non-agent models and reserved session keys are 400; the header makes a bad model harmless (G3, G5, D-2, H3)")
    func targetingErrors() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            let unknown = try await gateway.chat(chatBody("x"), extraHeaders: [("x-openclaw-agent-id", "ghost")])
            #expect(unknown.status == 400)
            #expect(unknown.errorMessage == "Unknown agent 'ghost'.")
            let byModel = try await gateway.chat(chatBody("x", model: "openclaw/ghost"))
            #expect(byModel.errorMessage == "Unknown agent 'ghost'.")
            let gpt = try await gateway.chat(chatBody("x", model: "gpt-4"))
            #expect(gpt.status == 400)
            #expect(gpt.errorMessage == "Invalid `model`. Use `openclaw` or `openclaw/<agentId>`.")
            let lenient = try await gateway.chat(chatBody("x", model: "gpt-4"), extraHeaders: [("x-openclaw-agent-id", "main")])
            #expect(lenient.status == 200)
            #expect(lenient.json?["model"]?.stringValue == "gpt-4")
            let reserved = try await gateway.chat(chatBody("x"), extraHeaders: [("x-openclaw-session-key", "cron:nightly")])
            #expect(reserved.status == 400)
            #expect(reserved.errorMessage == "`x-openclaw-session-key` cannot use reserved internal session namespaces.")
            #expect(await upstream.recorder.requests.count == 1)
        }
    }
}

/// A raw HTTP/1.1 exchange over a blocking socket (run off the cooperative pool), for requests
/// a well-behaved client library will not send.
enum RawHTTP {
    static func exchange(port: Int, send text: String) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try blockingExchange(port: port, send: text) })
            }
        }
    }

    static func blockingExchange(port: Int, send text: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        _ = text.withCString { Glibc.send(fd, $0, strlen($0), 0) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n > 0 ? String(decoding: buffer[..<n], as: UTF8.self) : ""
    }
}
