import Foundation
import OpenAIWire
import Testing

/// The embedded model, for real: llama-server built by scripts/setup-local-model.sh and the
/// SmolLM2 GGUF, supervised by the gateway binary (V3).
@Suite("Embedded local model (real llama-server, real model)", .serialized)
struct LocalModelTests {
    /// Where `make test` says the runtime cache is; else the default install location.
    static var paths: (binary: String, model: String) {
        let env = ProcessInfo.processInfo.environment
        let home = env["HOME"] ?? NSHomeDirectory()
        return (
            env["OPENCLAW_TEST_LLAMA_SERVER"] ?? "\(home)/.openclaw/runtime/llama.cpp/b11434/bin/llama-server",
            env["OPENCLAW_TEST_LOCAL_MODEL"] ?? "\(home)/.openclaw/models/SmolLM2-135M-Instruct.Q4_1.gguf"
        )
    }

    /// No model configured anywhere: agents use local/smollm2-135m-instruct.
    static var config: String { config() }

    static func config(localExtra: String = "") -> String {
        """
        {
          gateway: { auth: { token: "\(TestGateway.token)" }, http: { endpoints: { chatCompletions: { enabled: true } } } },
          models: { providers: { local: { binary: "\(paths.binary)", modelPath: "\(paths.model)", contextSize: 2048\(localExtra) } } },
        }
        """
    }

    static func requireInstalled() throws {
        let fm = FileManager.default
        try #require(
            fm.isExecutableFile(atPath: paths.binary) && fm.isReadableFile(atPath: paths.model),
            "local model not installed: run scripts/setup-local-model.sh (make test does)")
    }

    @Test("a fresh config with no model answers from the embedded model, non-stream and stream (V3)")
    func generatesText() async throws {
        try Self.requireInstalled()
        let gateway = try GatewayProcess(["gateway", "--port", "0"], config: Self.config)
        let port = try await gateway.waitForListening()
        try await withClient { client in
            let (status, body) = try await postChat(
                client, port: port, body: chatBody("Say hello.", extra: #","max_tokens":12,"temperature":0"#))
            #expect(status == 200, "\(body)")
            let json = try #require(try? JSONValue.parse(Data(body.utf8)))
            let text = json["choices"]?[0]?["message"]?["content"]?.stringValue ?? ""
            #expect(!text.isEmpty && text != "No response from OpenClaw.")
            #expect((json["usage"]?["completion_tokens"]?.doubleValue ?? 0) > 0)

            let (streamStatus, streamBody) = try await postChat(
                client, port: port, body: chatBody("Count to three.", stream: true, extra: #","max_tokens":12,"temperature":0"#))
            #expect(streamStatus == 200)
            var decoder = SSEDecoder()
            let events = decoder.feed(Array(streamBody.utf8)) + decoder.finish()
            let streamed = events.compactMap { try? JSONValue.parse(Data($0.utf8)) }
                .compactMap { $0["choices"]?[0]?["delta"]?["content"]?.stringValue }
            #expect(streamed.count > 1, "the reply arrives as several deltas")
            #expect(!streamed.joined().isEmpty)
            #expect(events.last == "[DONE]")
        }
        gateway.signal(SIGTERM)
        let code = await gateway.waitForExit()
        #expect(code == 0, "\(gateway.stderr.suffix(20000))")
    }

    @Test("a killed llama-server is restarted and the next request succeeds; none is left after shutdown (V3)")
    func restartAndNoOrphan() async throws {
        try Self.requireInstalled()
        let gateway = try GatewayProcess(["gateway", "--port", "0"], config: Self.config)
        let port = try await gateway.waitForListening()
        #expect(await eventually(timeout: .seconds(30)) { gateway.children(named: "llama-server").count == 1 })
        let first = try #require(gateway.children(named: "llama-server").first)
        kill(first, SIGKILL)
        try await withClient { client in
            let (status, body) = try await postChat(client, port: port, body: chatBody("Hi", extra: #","max_tokens":4"#))
            #expect(status == 200, "\(body)")
        }
        let children = gateway.children(named: "llama-server")
        #expect(children.count == 1)
        #expect(children.first != first)
        let second = try #require(children.first)
        gateway.signal(SIGTERM)
        #expect(await gateway.waitForExit() == 0)
        #expect(await eventually { !ProcFS.isAlive(second) }, "llama-server \(second) outlived the gateway")
    }

    @Test("a gateway killed with SIGKILL takes its llama-server with it (no orphan, V3)")
    func noOrphanOnKill() async throws {
        try Self.requireInstalled()
        let gateway = try GatewayProcess(["gateway", "--port", "0"], config: Self.config)
        _ = try await gateway.waitForListening()
        #expect(await eventually(timeout: .seconds(30)) { gateway.children(named: "llama-server").count == 1 })
        let child = try #require(gateway.children(named: "llama-server").first)
        gateway.signal(SIGKILL)
        _ = await gateway.waitForExit()
        #expect(await eventually { !ProcFS.isAlive(child) }, "llama-server \(child) was orphaned")
    }

    @Test("without max_tokens the local model stops at its configured cap instead of filling the context (V3)")
    func defaultTokenCap() async throws {
        try Self.requireInstalled()
        // Greedy decoding (temperature 0) makes the answer fixed: it is far longer than 6 tokens, so
        // the cap, not an early end-of-text, must stop it (a sampled answer once ended after 4 tokens).
        let config = Self.config(localExtra: #", models: [{ id: "smollm2-135m-instruct", maxTokens: 6 }]"#)
        let gateway = try GatewayProcess(["gateway", "--port", "0"], config: config)
        let port = try await gateway.waitForListening()
        try await withClient { client in
            let (status, body) = try await postChat(client, port: port, body: chatBody(
                "Tell me a long story about a dragon, in many sentences.", extra: #","temperature":0,"seed":7"#))
            #expect(status == 200, "\(body)")
            let json = try #require(try? JSONValue.parse(Data(body.utf8)))
            #expect(json["usage"]?["completion_tokens"]?.doubleValue == 6)
            #expect(json["choices"]?[0]?["finish_reason"]?.stringValue == "length")
        }
        gateway.signal(SIGTERM)
        #expect(await gateway.waitForExit() == 0)
    }
}
