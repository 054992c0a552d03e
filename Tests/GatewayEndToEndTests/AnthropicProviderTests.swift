import Foundation
import OpenAIWire
import Testing

/// V2, L3, L4, J4: the `anthropic-messages` provider against an Anthropic-shaped fake upstream.
@Suite("Anthropic Messages provider over HTTP")
struct AnthropicProviderTests {
    static func config(
        _ upstream: FakeUpstream, model: String = "claude/claude-test", extra: String = "", claudeExtra: String = ""
    ) -> String {
        """
        {
          gateway: {
            auth: { mode: "token", token: "\(TestGateway.token)" },
            http: { endpoints: { chatCompletions: { enabled: true } }, sseKeepAliveSeconds: 0 },
          },
          models: { providers: {
            claude: { api: "anthropic-messages", baseUrl: "http://127.0.0.1:\(upstream.port)", apiKey: "sk-ant-test"\(claudeExtra) },
            fake: { baseUrl: "\(upstream.baseURL)" },
          } },
          agents: { defaults: { model: \(model) } },
          \(extra)
        }
        """
    }

    @Test("V2: a streamed answer with the Messages API: headers, system, tools, usage")
    func textAnswer() async throws {
        try await FakeUpstream.with { upstream in
            try await TestGateway.with(config: Self.config(upstream, model: #""claude/claude-test""#)) { gateway in
                let (r, events) = try await gateway.stream(
                    chatBody("hello there", stream: true, extra: #","stream_options":{"include_usage":true}"#))
                #expect(r.status == 200)
                let chunks = events.dropLast().compactMap { try? JSONValue.parse(Data($0.utf8)) }
                let text = chunks.compactMap { $0["choices"]?[0]?["delta"]?["content"]?.stringValue }.joined()
                #expect(text == "claude: hello there")
                let usage = try #require(chunks.last?["usage"])
                #expect(usage["prompt_tokens"]?.doubleValue == 21)
                #expect(usage["completion_tokens"]?.doubleValue == 9)

                let request = try #require(await upstream.recorder.requests.first)
                #expect(request.authorization == "sk-ant-test")
                #expect(request.anthropicVersion == "2023-06-01")
                #expect(request.body["model"]?.stringValue == "claude-test")
                #expect(request.body["stream"]?.boolValue == true)
                #expect(request.body["max_tokens"]?.doubleValue == 4096)
                #expect(request.body["system"]?.stringValue?.contains("\nRuntime: agent=main | ") == true)
                #expect(request.messages.count == 1)
                #expect(request.messages.first?["role"]?.stringValue == "user")
                let tool = try #require(request.body["tools"]?.arrayValue?.first)
                #expect(tool["name"]?.stringValue == "read")
                #expect(tool["input_schema"]?["type"]?.stringValue == "object")
            }
        }
    }

    @Test("V2/V5: tool_use blocks run agent tools; results go back as tool_result blocks in a user message")
    func toolLoop() async throws {
        try await FakeUpstream.with { upstream in
            try await TestGateway.with(config: Self.config(upstream, model: #""claude/claude-test""#)) { gateway in
                let ws = gateway.statePaths.path("workspace")
                try FileManager.default.createDirectory(atPath: ws, withIntermediateDirectories: true)
                try "42\n".write(toFile: ws + "/answer.txt", atomically: true, encoding: .utf8)
                await upstream.recorder.enqueue(
                    .toolCalls(
                        "Reading.", [(id: "toolu_1", name: "read", arguments: #"{"path":"answer.txt"}"#)]),
                    .text("The answer is 42."))
                let r = try await gateway.chat(chatBody("what is the answer?"))
                #expect(r.status == 200)
                #expect(
                    r.json?["choices"]?[0]?["message"]?["content"]?.stringValue == "Reading.\n\nThe answer is 42.")
                #expect(r.json?["usage"]?["prompt_tokens"]?.doubleValue == 42)
                let second = try #require(await upstream.recorder.requests.last)
                #expect(second.messages.map { $0["role"]?.stringValue ?? "" } == ["user", "assistant", "user"])
                let toolUse = second.messages[1]["content"]?.arrayValue?.last
                #expect(toolUse?["type"]?.stringValue == "tool_use")
                #expect(toolUse?["id"]?.stringValue == "toolu_1")
                #expect(toolUse?["input"]?["path"]?.stringValue == "answer.txt")
                let result = second.messages[2]["content"]?[0]
                #expect(result?["type"]?.stringValue == "tool_result")
                #expect(result?["tool_use_id"]?.stringValue == "toolu_1")
                #expect(result?["content"]?.stringValue == "1\t42\n")
            }
        }
    }

    @Test("J4/V2: an image of the active turn becomes a base64 image block")
    func image() async throws {
        try await FakeUpstream.with { upstream in
            try await TestGateway.with(config: Self.config(upstream, model: #""claude/claude-test""#)) { gateway in
                let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]).base64EncodedString()
                let body = #"""
                    {"model":"openclaw","messages":[{"role":"user","content":[{"type":"text","text":"what is this?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,\#(png)"}}]}]}
                    """#
                let r = try await gateway.chat(body)
                #expect(r.status == 200)
                let content = try #require(await upstream.recorder.requests.first?.messages.first?["content"]?.arrayValue)
                #expect(content.first?["type"]?.stringValue == "image")
                #expect(content.first?["source"]?["type"]?.stringValue == "base64")
                #expect(content.first?["source"]?["media_type"]?.stringValue == "image/png")
                #expect(content.first?["source"]?["data"]?.stringValue == png)
                #expect(content.last?["text"]?.stringValue == "what is this?")
            }
        }
    }

    @Test(
        "L4: Anthropic errors map to OpenAI envelopes",
        arguments: [(529, 503, "api_error"), (429, 429, "rate_limit_error"), (401, 401, "authentication_error")])
    func errors(upstreamStatus: Int, status: Int, type: String) async throws {
        try await FakeUpstream.with { upstream in
            try await TestGateway.with(config: Self.config(upstream, model: #""claude/claude-test""#)) { gateway in
                await upstream.recorder.enqueue(.status(upstreamStatus))
                let r = try await gateway.chat(chatBody("x"))
                #expect(r.status == status)
                #expect(r.errorType == type)
            }
        }
    }

    @Test("an Anthropic stream that goes silent for timeoutSeconds ends with a timeout error and is closed")
    func idleTimeout() async throws {
        try await FakeUpstream.with { upstream in
            let config = Self.config(upstream, model: #""claude/claude-test""#, claudeExtra: ", timeoutSeconds: 2")
            try await TestGateway.with(config: config) { gateway in
                await upstream.recorder.enqueue(.stall("first half, second half"))
                let (r, events) = try await gateway.stream(chatBody("x", stream: true))
                #expect(r.status == 200)
                #expect(r.body.contains("first half"))
                #expect(!r.body.contains("second half"))
                #expect(events.contains { $0.contains("upstream provider timeout") })
                #expect(events.last == "[DONE]")
                #expect(await eventually(timeout: .seconds(15)) { await upstream.recorder.abandoned == 1 })
            }
        }
    }

    @Test("V1: fallbacks go in order past retryable failures (Anthropic 529, OpenAI 500) to the model that answers")
    func fallbackOrder() async throws {
        try await FakeUpstream.with { upstream in
            let model = #"{ primary: "claude/claude-test", fallbacks: ["fake/first", "fake/second", "fake/third"] }"#
            try await TestGateway.with(config: Self.config(upstream, model: model)) { gateway in
                await upstream.recorder.enqueue(.status(529), .status(500), .text("third time lucky"))
                let r = try await gateway.chat(chatBody("x"))
                #expect(r.status == 200)
                #expect(r.json?["choices"]?[0]?["message"]?["content"]?.stringValue == "third time lucky")
                let models = await upstream.recorder.requests.map(\.model)
                #expect(models == ["claude-test", "first", "second"])
                // The Runtime line of the answering call names the model that answered.
                let last = try #require(await upstream.recorder.requests.last)
                #expect(last.systemPrompt.contains("| model=fake/second | default_model=claude/claude-test |"))
            }
        }
    }
}
