import AsyncHTTPClient
import Foundation
import NIOCore
import OpenAIWire
import Testing

@Suite("Agent runs over HTTP: upstream errors, fallbacks, cancellation, serialization")
struct RunBehaviourTests {
    @Test(
        "upstream HTTP errors map to OpenAI envelopes (L4, D-10)",
        arguments: [
            ("status-500", 502, "api_error", "upstream provider error"),
            ("status-503", 502, "api_error", "upstream provider error"),
            ("status-429", 429, "rate_limit_error", "fake upstream says 429"),
            ("status-401", 401, "authentication_error", "fake upstream says 401"),
            ("status-403", 403, "permission_error", "fake upstream says 403"),
            ("status-400", 400, "invalid_request_error", "fake upstream says 400"),
        ])
    func upstreamErrors(model: String, status: Int, type: String, message: String) async throws {
        try await TestGateway.withUpstream(model: "fake/\(model)") { gateway, _ in
            let r = try await gateway.chat(chatBody("x"))
            #expect(r.status == status)
            #expect(r.errorType == type)
            #expect(r.errorMessage == message)
        }
    }

    @Test("a refused upstream connection is 502 and stores nothing (L4, D-8)")
    func connectionRefused() async throws {
        let config = """
            { gateway: { auth: { token: "\(TestGateway.token)" }, http: { endpoints: { chatCompletions: { enabled: true } } } },
              models: { providers: { dead: { baseUrl: "http://127.0.0.1:1/v1" } } },
              agents: { defaults: { model: "dead/x" } } }
            """
        try await TestGateway.with(config: config) { gateway in
            let r = try await gateway.chat(chatBody("x", extra: #","user":"u""#))
            #expect(r.status == 502)
            #expect(r.errorType == "api_error")
            let sessions = try await SessionStoreProbe.sessions(gateway)
            #expect(sessions.isEmpty)
        }
    }

    @Test("errors after the stream started become a data: error line then [DONE] (M8)")
    func streamErrors() async throws {
        try await TestGateway.withUpstream(model: "fake/status-500") { gateway, _ in
            let (r, events) = try await gateway.stream(chatBody("x", stream: true))
            #expect(r.status == 200)
            #expect(events.suffix(2).first == #"{"error":{"message":"upstream provider error","type":"api_error"}}"#)
            #expect(events.last == "[DONE]")
        }
        try await TestGateway.withUpstream(model: "fake/stream-error") { gateway, _ in
            let (_, events) = try await gateway.stream(chatBody("x", stream: true))
            let text = events.compactMap { try? JSONValue.parse(Data($0.utf8)) }
                .compactMap { $0["choices"]?[0]?["delta"]?["content"]?.stringValue }.joined()
            #expect(text == "partial")
            let error = try #require(events.suffix(2).first.flatMap { try? JSONValue.parse(Data($0.utf8)) })
            #expect(error["error"]?["type"]?.stringValue == "api_error")
            #expect(events.last == "[DONE]")
        }
    }

    @Test("a retryable primary failure falls back to the next model; a non-retryable one does not (V1)")
    func fallbacks() async throws {
        try await FakeUpstream.with { upstream in
            let config = TestGateway.config(
                upstream: upstream,
                agentsList: #"""
                    [ { id: "main", model: { primary: "fake/status-503", fallbacks: ["fake/echo"] } },
                      { id: "strict", model: { primary: "fake/status-401", fallbacks: ["fake/echo"] } } ]
                    """#)
            try await TestGateway.with(config: config) { gateway in
                let r = try await gateway.chat(chatBody("hi"))
                #expect(r.status == 200)
                #expect(r.json?["choices"]?[0]?["message"]?["content"]?.stringValue == "echo: hi")
                let strict = try await gateway.chat(chatBody("hi", model: "openclaw/strict"))
                #expect(strict.status == 401)
                let models = await upstream.recorder.requests.map(\.model)
                #expect(models == ["status-503", "echo", "status-401"])
            }
        }
    }

    @Test("a client that disconnects mid-stream cancels the run and closes the upstream request (O2, D-5)")
    func disconnectCancelsUpstream() async throws {
        try await TestGateway.withUpstream(model: "fake/crawl") { gateway, upstream in
            var request = HTTPClientRequest(url: gateway.baseURL + "/v1/chat/completions")
            request.method = .POST
            for (name, value) in TestGateway.authHeaders { request.headers.add(name: name, value: value) }
            request.body = .bytes(ByteBuffer(string: chatBody("x", stream: true, extra: #","user":"leaver""#)))
            let reader = Task {
                let response = try await gateway.client.execute(request, timeout: .seconds(10))
                var seen = 0
                for try await chunk in response.body {
                    seen += chunk.readableBytes
                    if String(buffer: chunk).contains("tick") { break }  // leave after the first delta
                }
                return seen
            }
            _ = try await reader.value
            #expect(await eventually(timeout: .seconds(15)) { await upstream.recorder.abandoned == 1 })
            #expect(await upstream.recorder.completed == 0)
            // The aborted turn is not stored.
            #expect(try await SessionStoreProbe.sessions(gateway).isEmpty)
        }
    }

    @Test("a streamed run starts before its client reads anything; a client that then leaves stops it and closes the upstream request (O2)")
    func disconnectBeforeReadingStream() async throws {
        try await TestGateway.withUpstream(model: "fake/crawl") { gateway, upstream in
            try await RawSocket.with(port: gateway.port) { socket in
                try await socket.post("/v1/chat/completions", chatBody("x", stream: true, extra: #","user":"early-leaver""#))
                // The run calls the model without the client having read a byte.
                #expect(await eventually { await upstream.recorder.requests.count == 1 })
            }  // closed, nothing read
            #expect(await eventually(timeout: .seconds(15)) { await upstream.recorder.abandoned == 1 })
            #expect(await upstream.recorder.completed == 0)
            #expect(try await SessionStoreProbe.sessions(gateway).isEmpty)
        }
    }

    @Test("M1/M3: the head and the role chunk reach the client before the model's first token")
    func headAndRoleBeforeFirstToken() async throws {
        // `held`: the model sends nothing but SSE comments for 30 s; a gateway that held the
        // head or the role chunk back until the first token would leave this test waiting.
        try await TestGateway.withUpstream(model: "fake/held") { gateway, upstream in
            try await RawSocket.with(port: gateway.port) { socket in
                try await socket.post("/v1/chat/completions", chatBody("x", stream: true))
                let head = try await socket.readHead()
                #expect(head.hasPrefix("HTTP/1.1 200"))
                #expect(head.lowercased().contains("content-type: text/event-stream"))
                let sent = try await socket.readUntil(#""role":"assistant""#)
                #expect(!sent.contains(#""content""#))
                #expect(await upstream.recorder.completed == 0)
            }
            #expect(await eventually(timeout: .seconds(15)) { await upstream.recorder.abandoned == 1 })
        }
    }

    @Test("M4: chunks the model sent together are all relayed at once, one chunk each, without waiting for more")
    func burstIsRelayedWithoutWaiting() async throws {
        // `burst`: three chunks in one upstream write, then 6 s of silence. A gateway that held
        // the second and third back for the next upstream bytes would miss the 3 s deadline.
        try await TestGateway.withUpstream(model: "fake/burst") { gateway, _ in
            try await RawSocket.with(port: gateway.port) { socket in
                try await socket.post("/v1/chat/completions", chatBody("x", stream: true))
                _ = try await socket.readHead()
                let sent = try await socket.readUntil(#""content":"three""#, within: .seconds(3))
                // Split on "\n" and "\r\n" alike (one Character): the body is chunk-encoded.
                let contents = sent.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("data: {") }
                    .compactMap { line -> String? in
                        guard let range = line.range(of: #""content":""#) else { return nil }
                        return String(line[range.upperBound...].prefix { $0 != "\"" })
                    }
                #expect(contents == ["one ", "two ", "three"])
                #expect(!sent.contains(#""finish_reason":"stop""#))
            }
        }
    }

    @Test("a client that disconnects while waiting for a non-stream answer cancels the upstream request (O2)")
    func disconnectNonStream() async throws {
        try await TestGateway.withUpstream(model: "fake/crawl") { gateway, upstream in
            let task = Task { try await gateway.chat(chatBody("x")) }
            #expect(await eventually { await upstream.recorder.requests.count == 1 })
            task.cancel()
            _ = try? await task.value
            #expect(await eventually(timeout: .seconds(15)) { await upstream.recorder.abandoned == 1 })
        }
    }

    @Test("runs on one session key are serialized; different keys run concurrently (O3)")
    func sessionSerialization() async throws {
        try await TestGateway.withUpstream(model: "fake/slow") { gateway, upstream in
            async let a = gateway.chat(chatBody("a", extra: #","user":"same""#))
            async let b = gateway.chat(chatBody("b", extra: #","user":"same""#))
            let (ra, rb) = try await (a, b)
            #expect(ra.status == 200 && rb.status == 200)
            #expect(await upstream.recorder.maxActive == 1)
            // The second run saw the first turn: it waited for it to be stored.
            let requests = await upstream.recorder.requests
            #expect(requests[1].messages.count == 4)

            async let c = gateway.chat(chatBody("c", extra: #","user":"one""#))
            async let d = gateway.chat(chatBody("d", extra: #","user":"two""#))
            _ = try await (c, d)
            #expect(await upstream.recorder.maxActive == 2)
        }
    }

    @Test("an upstream that goes silent for the provider's timeoutSeconds ends the run with 504 and is closed")
    func upstreamIdleTimeout() async throws {
        try await FakeUpstream.with { upstream in
            // `stall` streams one chunk, then sends nothing for 6 s (the timeout is 2 s).
            let config = TestGateway.config(upstream: upstream, model: "fake/stall").replacingOccurrences(
                of: #"apiKey: "upstream-key""#, with: #"apiKey: "upstream-key", timeoutSeconds: 2"#)
            try await TestGateway.with(config: config) { gateway in
                async let whole = gateway.chat(chatBody("x"))
                async let streamed = gateway.stream(chatBody("x", stream: true))
                let r = try await whole
                #expect(r.status == 504)
                #expect(r.errorMessage == "upstream provider timeout")

                let (s, events) = try await streamed
                #expect(s.status == 200)
                #expect(s.body.contains("partial"))
                #expect(events.contains { $0.contains("upstream provider timeout") })
                #expect(!s.body.contains("tick"))
                #expect(events.last == "[DONE]")
                // Both upstream requests were closed, not read to the end.
                #expect(await eventually(timeout: .seconds(15)) { await upstream.recorder.abandoned == 2 })
                #expect(await upstream.recorder.completed == 0)
            }
        }
    }

    @Test("a silent run gets ': ping' comments on the stream (D-4)")
    func keepAlivePings() async throws {
        try await FakeUpstream.with { upstream in
            let config = TestGateway.config(upstream: upstream, model: "fake/delayed").replacingOccurrences(
                of: "sseKeepAliveSeconds: 0", with: "sseKeepAliveSeconds: 0.4")
            try await TestGateway.with(config: config) { gateway in
                let (r, events) = try await gateway.stream(chatBody("x", stream: true))
                #expect(r.body.contains("\n\n: ping\n\n"))
                // Every 0.4 s of silence, the first one too: pings at ~0.4, 0.8 and 1.2 s.
                let beforeLate = r.body.components(separatedBy: "late").first ?? ""
                #expect(beforeLate.components(separatedBy: ": ping").count - 1 >= 2)
                let pingIndex = try #require(r.body.range(of: ": ping")?.lowerBound)
                let lateIndex = try #require(r.body.range(of: "late")?.lowerBound)
                #expect(pingIndex < lateIndex)
                #expect(events.last == "[DONE]")
            }
        }
    }
}

import SessionStore

enum SessionStoreProbe {
    static func sessions(_ gateway: TestGateway) async throws -> [SessionSummary] {
        try await SQLiteSessionStore(path: gateway.statePaths.database).sessions(limit: 100)
    }
}

