import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OpenAIWire
import Testing

/// Runs `body` with a private HTTP client, shut down afterwards.
func withClient<T: Sendable>(_ body: (HTTPClient) async throws -> T) async throws -> T {
    let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
    do {
        let result = try await body(client)
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}

/// POSTs a chat completion with the test token; returns status and body text.
func postChat(_ client: HTTPClient, port: Int, body: String, token: String = TestGateway.token) async throws -> (Int, String) {
    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/chat/completions")
    request.method = .POST
    request.headers.add(name: "Authorization", value: "Bearer \(token)")
    request.headers.add(name: "Content-Type", value: "application/json")
    request.body = .bytes(ByteBuffer(string: body))
    let response = try await client.execute(request, timeout: .seconds(120))
    let bytes = try await response.body.collect(upTo: 10 * 1024 * 1024)
    return (Int(response.status.code), String(buffer: bytes))
}

@Suite("The openclaw binary as users run it")
struct ProcessTests {
    @Test("`openclaw gateway --port 0` prints its address, serves, and exits 0 on SIGTERM (A1, W1, D-10)")
    func startServeStop() async throws {
        try await FakeUpstream.with { upstream in
            let gateway = try GatewayProcess(["gateway", "--port", "0"], config: TestGateway.config(upstream: upstream))
            let port = try await gateway.waitForListening()
            #expect(gateway.stdout.first == "listening on http://127.0.0.1:\(port)")
            try await withClient { client in
                let (status, body) = try await postChat(client, port: port, body: chatBody("hi"))
                #expect(status == 200)
                #expect(body.contains("echo: hi"))
            }
            gateway.signal(SIGTERM)
            #expect(await gateway.waitForExit() == 0)
        }
    }

    @Test("at `--log-level debug` a request's line carries the metadata Hummingbird set on its logger (hb.request.id)")
    func debugLinesCarryLoggerMetadata() async throws {
        try await FakeUpstream.with { upstream in
            let gateway = try GatewayProcess(
                ["gateway", "--port", "0", "--log-level", "debug"], config: TestGateway.config(upstream: upstream))
            let port = try await gateway.waitForListening()
            try await withClient { client in
                let (status, _) = try await postChat(client, port: port, body: chatBody("hi"))
                #expect(status == 200)
            }
            #expect(await eventually { gateway.stderr.contains("http.path=/v1/chat/completions") })
            let line = gateway.stderr.split(separator: "\n").first { $0.contains("http.path=/v1/chat/completions") }
            #expect(line?.contains(" debug ") == true, "\(gateway.stderr)")
            #expect(line?.contains("hb.request.id=") == true, "\(gateway.stderr)")
            #expect(line?.contains("http.status=200") == true, "\(gateway.stderr)")
            gateway.signal(SIGTERM)
            #expect(await gateway.waitForExit() == 0)
        }
    }

    @Test("SIGTERM aborts an in-flight stream within the grace period, closes its upstream request, exits 0 (D-10)")
    func shutdownAbortsInFlight() async throws {
        try await FakeUpstream.with { upstream in
            // 40 chunks x 50 ms = 2 s of streaming; shutdown comes after the first chunk.
            let gateway = try GatewayProcess(
                ["gateway", "--port", "0"], config: TestGateway.config(upstream: upstream, model: "fake/slow"))
            let port = try await gateway.waitForListening()
            try await withClient { client in
                async let streamed: (Int, String) = postChat(client, port: port, body: chatBody("x", stream: true))
                #expect(await eventually { await upstream.recorder.requests.count == 1 })
                try await Task.sleep(for: .milliseconds(200))
                gateway.signal(SIGTERM)
                let (status, _) = try await streamed
                #expect(status == 200)
            }
            #expect(await gateway.waitForExit(timeout: .seconds(15)) == 0)
        }
    }

    @Test(
        "a refused start exits non-zero with one line naming the key path, value and reason (A2, C2, D-9, D-10)",
        arguments: [
            (#"{ gateway: { bind: "lan", auth: { mode: "none" } } }"#, "gateway.bind"),
            (#"{ gateway: { auth: { mode: "token" } } }"#, "gateway.auth.token or OPENCLAW_GATEWAY_TOKEN"),
            (#"{ gateway: { port: "eighty", auth: { token: "t" } } }"#, "gateway.port = \"eighty\""),
            (#"{ gateway: { auth: { token: "t" } }, agents: { defaults: { model: "nomodel" } } }"#, "agents.defaults.model"),
            (#"{ gateway: { auth: { token: "t" } }, models: { providers: { local: { binary: "/nonexistent/llama-server" } } } }"#,
                "scripts/setup-local-model.sh"),
        ])
    func refusedStart(config: String, mentions: String) async throws {
        let gateway = try GatewayProcess(["gateway", "--port", "0"], config: config)
        let status = await gateway.waitForExit(timeout: .seconds(10))
        #expect(status != nil && status != 0)
        let lines = gateway.stderr.split(separator: "\n").filter { !$0.contains(" warning ") && !$0.contains(" info ") }
        #expect(lines.count == 1, "\(gateway.stderr)")
        #expect(gateway.stderr.contains(mentions), "\(gateway.stderr)")
        #expect(gateway.stdout.isEmpty)
    }

    @Test("`openclaw agent --message` runs a turn in-process through the same runtime and session store (W2)")
    func agentCommand() async throws {
        try await FakeUpstream.with { upstream in
            let config = TestGateway.config(upstream: upstream)
            let first = try GatewayProcess(["agent", "--message", "hello there"], config: config)
            #expect(await first.waitForExit() == 0)
            #expect(first.stdout.joined(separator: "\n").contains("echo: hello there"))
            // Same state dir, same default session: the second turn sees the first.
            let second = try GatewayProcess(
                ["agent", "--message", "again", "--json"], config: config, stateDir: first.stateDir)
            #expect(await second.waitForExit() == 0)
            let json = try #require(second.stdout.last.flatMap { try? JSONValue.parse(Data($0.utf8)) })
            #expect(json["text"]?.stringValue == "echo: again")
            #expect(json["sessionKey"]?.stringValue == "agent:main:main")
            let requests = await upstream.recorder.requests
            #expect(requests.last?.messages.count == 4)
            #expect(requests.last?.systemPrompt.contains("channel=cli") == true)
        }
    }

    @Test("`openclaw sessions export <key>` prints the transcript as JSONL: a session header, then chained messages (D-8, D-10)")
    func sessionsExport() async throws {
        try await FakeUpstream.with { upstream in
            let config = TestGateway.config(upstream: upstream)
            let turn = try GatewayProcess(["agent", "--message", "remember me"], config: config)
            #expect(await turn.waitForExit() == 0)
            let export = try GatewayProcess(["sessions", "export", "agent:main:main"], config: config, stateDir: turn.stateDir)
            #expect(await export.waitForExit() == 0)
            let lines = export.stdout.compactMap { try? JSONValue.parse(Data($0.utf8)) }
            #expect(lines.count == 3)
            #expect(lines.first?["type"]?.stringValue == "session")
            #expect(lines.first?["key"]?.stringValue == "agent:main:main")
            #expect(lines.dropFirst().map { $0["message"]?["role"]?.stringValue } == ["user", "assistant"])
            #expect(lines[1]["parentId"] == .null)
            #expect(lines[2]["parentId"] == lines[1]["id"])
            #expect(lines[2]["message"]?["content"]?[0]?["text"]?.stringValue == "echo: remember me")
            let missing = try GatewayProcess(["sessions", "export", "nope"], config: config, stateDir: turn.stateDir)
            #expect(await missing.waitForExit() == 1)
            #expect(missing.stderr.contains("no session with key 'nope'"))
        }
    }
}
