import Foundation
import OpenAIWire
import SessionStore
import Testing

@Suite("Chat completions end to end")
struct ChatCompletionsTests {
    /// The seed's first curl, verbatim: non-stream request to the default agent.
    static let seedHeaders = [
        ("Authorization", "Bearer \(TestGateway.token)"), ("Content-Type", "application/json"),
        ("x-openclaw-agent-id", "main"),
    ]
    static let seedBody = #"{"model":"openclaw","messages":[{"role":"user","content":"hi"}]}"#
    static let seedStreamBody = #"{"model":"openclaw","stream":true,"messages":[{"role":"user","content":"hi"}]}"#

    @Test("seed curl (non-stream) returns a chat.completion with the upstream's text and usage (L1, L3)")
    func seedNonStream() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            let r = try await gateway.request(headers: Self.seedHeaders, body: Self.seedBody)
            #expect(r.status == 200)
            #expect(r.headers["content-type"].first == "application/json; charset=utf-8")
            let json = try #require(r.json)
            #expect(json["object"]?.stringValue == "chat.completion")
            #expect(json["id"]?.stringValue?.hasPrefix("chatcmpl_") == true)
            #expect(json["model"]?.stringValue == "openclaw")
            let choice = try #require(json["choices"]?.arrayValue?.first)
            #expect(choice["message"]?["role"]?.stringValue == "assistant")
            #expect(choice["message"]?["content"]?.stringValue == "echo: hi")
            #expect(choice["finish_reason"]?.stringValue == "stop")
            #expect(json["usage"]?["prompt_tokens"]?.doubleValue == 11)
            #expect(json["usage"]?["completion_tokens"]?.doubleValue == 3)
            #expect(json["usage"]?["total_tokens"]?.doubleValue == 14)
            let sent = try #require(await upstream.recorder.requests.first)
            #expect(sent.model == "echo")
            #expect(sent.authorization == "Bearer upstream-key")
            // Nobody renders deltas of a non-stream answer: the upstream call is not streamed either.
            #expect(sent.body["stream"]?.boolValue == false)
            #expect(sent.body["stream_options"] == nil)
        }
    }

    @Test("seed curl (stream) sends role chunk, deltas, finish chunk and [DONE] (M1-M6)")
    func seedStream() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            let r = try await gateway.request(headers: Self.seedHeaders, body: Self.seedStreamBody)
            #expect(r.status == 200)
            #expect(r.headers["content-type"].first == "text/event-stream; charset=utf-8")
            #expect(r.headers["cache-control"].first == "no-cache")
            #expect(!r.body.contains("event:"))
            var decoder = SSEDecoder()
            let events = decoder.feed(Array(r.body.utf8)) + decoder.finish()
            #expect(events.last == "[DONE]")
            let chunks = events.dropLast().compactMap { try? JSONValue.parse(Data($0.utf8)) }
            #expect(chunks.count == events.count - 1)
            #expect(chunks.first?["choices"]?[0]?["delta"]?["role"]?.stringValue == "assistant")
            let ids = Set(chunks.compactMap { $0["id"]?.stringValue })
            #expect(ids.count == 1 && ids.first!.hasPrefix("chatcmpl_"))
            #expect(Set(chunks.compactMap { $0["created"]?.doubleValue }).count == 1)
            #expect(chunks.allSatisfy { $0["object"]?.stringValue == "chat.completion.chunk" })
            let text = chunks.compactMap { $0["choices"]?[0]?["delta"]?["content"]?.stringValue }.joined()
            #expect(text == "echo: hi")
            let last = try #require(chunks.last)
            #expect(last["choices"]?[0]?["finish_reason"]?.stringValue == "stop")
            #expect(!chunks.contains { $0["usage"] != nil })
            let sent = try #require(await upstream.recorder.requests.first)
            #expect(sent.body["stream"]?.boolValue == true)
            #expect(sent.body["stream_options"]?["include_usage"]?.boolValue == true)
        }
    }

    @Test("stream_options.include_usage adds a usage chunk with empty choices before [DONE] (M6, L3)")
    func streamUsageChunk() async throws {
        try await TestGateway.withUpstream { gateway, _ in
            let (_, events) = try await gateway.stream(
                chatBody("count", stream: true, extra: #","stream_options":{"include_usage":true}"#))
            #expect(events.last == "[DONE]")
            let usageChunk = try #require(events.dropLast().last.flatMap { try? JSONValue.parse(Data($0.utf8)) })
            #expect(usageChunk["choices"]?.arrayValue?.isEmpty == true)
            #expect(usageChunk["usage"]?["total_tokens"]?.doubleValue == 14)
        }
    }

    @Test("an upstream that answers with one JSON body still streams the text as one chunk (M5)")
    func nonStreamingUpstream() async throws {
        try await TestGateway.withUpstream(model: "fake/json") { gateway, _ in
            let (_, events) = try await gateway.stream(chatBody("x", stream: true))
            let text = events.dropLast().compactMap { try? JSONValue.parse(Data($0.utf8)) }
                .compactMap { $0["choices"]?[0]?["delta"]?["content"]?.stringValue }.joined()
            #expect(text == "whole answer")
            let r = try await gateway.chat(chatBody("x"))
            #expect(r.json?["choices"]?[0]?["message"]?["content"]?.stringValue == "whole answer")
        }
    }

    @Test("an empty answer becomes 'No response from OpenClaw.' (L2, M5)")
    func emptyAnswer() async throws {
        try await TestGateway.withUpstream(model: "fake/empty") { gateway, _ in
            let r = try await gateway.chat(chatBody("x"))
            #expect(r.json?["choices"]?[0]?["message"]?["content"]?.stringValue == "No response from OpenClaw.")
        }
    }

    @Test("the same `user` continues one session: earlier turns go to the model, case-insensitively (H1, H2, D-8)")
    func userSessionsPersist() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            _ = try await gateway.chat(chatBody("first", extra: #","user":"Alice""#))
            _ = try await gateway.chat(chatBody("second", extra: #","user":"alice""#))
            _ = try await gateway.chat(chatBody("stateless"))
            let requests = await upstream.recorder.requests
            #expect(requests.count == 3)
            let second = requests[1].messages.map { $0["content"]?.stringValue ?? "" }
            #expect(second.dropFirst() == ["first", "echo: first", "second"])
            #expect(requests[2].messages.count == 2)  // system + user: a fresh session
            let store = try SQLiteSessionStore(path: gateway.statePaths.database)
            let history = try await store.history(sessionKey: "agent:main:openai-user:alice", limit: 10)
            #expect(history.map(\.content) == ["first", "echo: first", "second", "echo: second"])
            #expect(history.last?.model == "fake/echo")
            #expect(history.last?.usage?.totalTokens == 14)
            #expect(FileManager.default.fileExists(atPath: gateway.statePaths.database))
        }
    }

    @Test("x-openclaw-session-key is used verbatim (H1, D-10)")
    func sessionKeyHeader() async throws {
        try await TestGateway.withUpstream { gateway, _ in
            _ = try await gateway.chat(chatBody("one"), extraHeaders: [("x-openclaw-session-key", "My:Custom:Key")])
            let store = try SQLiteSessionStore(path: gateway.statePaths.database)
            #expect(try await store.session(key: "My:Custom:Key")?.messageCount == 2)
            #expect(try await store.session(key: "my:custom:key") == nil)
        }
    }

    @Test("model `openclaw/<id>`, `agent:<id>` and the agent header pick agents; header beats model (G1, G2)")
    func agentSelection() async throws {
        try await FakeUpstream.with { upstream in
            let config = TestGateway.config(
                upstream: upstream,
                agentsList: #"[ { id: "main", default: true }, { id: "beta", model: "fake/beta-model" } ]"#)
            try await TestGateway.with(config: config) { gateway in
                for model in ["openclaw/beta", "OpenClaw:Beta", "agent:beta"] {
                    let r = try await gateway.chat(chatBody("x", model: model))
                    #expect(r.status == 200)
                    #expect(r.json?["model"]?.stringValue == model)  // echoed verbatim (L1)
                }
                _ = try await gateway.chat(chatBody("x", model: "openclaw/beta"), extraHeaders: [("x-openclaw-agent-id", "main")])
                _ = try await gateway.chat(chatBody("x", model: "openclaw"))
                let models = await upstream.recorder.requests.map(\.model)
                #expect(models == ["beta-model", "beta-model", "beta-model", "echo", "echo"])
                let prompts = await upstream.recorder.requests.map(\.systemPrompt)
                #expect(prompts[0].contains("Runtime: agent=beta |"))
                #expect(prompts[3].contains("Runtime: agent=main |"))
            }
        }
    }

    @Test("messages become one prompt with history markers; system/developer text goes to the system prompt (I1-I5, T1, T2)")
    func promptFlattening() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            let body = """
                {"model":"openclaw","messages":[
                  {"role":"system","content":"Be brief."},
                  {"role":"developer","content":[{"type":"text","text":"Answer in French."}]},
                  {"role":"user","content":"What is 2+2?"},
                  {"role":"assistant","content":"4"},
                  {"role":"user","content":[{"type":"text","text":"and"},{"type":"input_text","text":"3+3?"}]},
                  {"role":"assistant","content":"ignored trailing"}
                ]}
                """
            let r = try await gateway.chat(body, extraHeaders: [("x-openclaw-message-channel", " Custom-Channel ")])
            #expect(r.status == 200)
            let sent = try #require(await upstream.recorder.requests.first)
            #expect(
                sent.lastContent == """
                    [Chat messages since your last reply - for context]
                    User: What is 2+2?
                    Assistant: 4

                    [Current message - respond to this]
                    User: and
                    3+3?
                    """)
            #expect(sent.systemPrompt.contains("## Group Chat Context\nBe brief.\n\nAnswer in French."))
            let runtimeLine = try #require(sent.systemPrompt.split(separator: "\n").first { $0.hasPrefix("Runtime: ") })
            #expect(runtimeLine.hasPrefix("Runtime: agent=main | host="))
            #expect(runtimeLine.contains(" | model=fake/echo | channel=custom-channel"))
            #expect(!sent.lastContent.contains("Be brief"))
        }
    }

    @Test("sampling parameters are forwarded; max_completion_tokens wins over max_tokens (D-10, F6)")
    func samplingForwarded() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            let extra = #","temperature":0.5,"top_p":0.9,"max_tokens":10,"max_completion_tokens":20,"seed":7,"stop":["END"],"presence_penalty":0.1,"frequency_penalty":-0.2,"response_format":{"type":"json_object"}"#
            let r = try await gateway.chat(chatBody("x", extra: extra))
            #expect(r.status == 200)
            let body = try #require(await upstream.recorder.requests.first?.body)
            #expect(body["temperature"]?.doubleValue == 0.5)
            #expect(body["top_p"]?.doubleValue == 0.9)
            #expect(body["max_tokens"]?.doubleValue == 20)
            #expect(body["seed"]?.doubleValue == 7)
            #expect(body["stop"]?.arrayValue == [.string("END")])
            #expect(body["presence_penalty"]?.doubleValue == 0.1)
            #expect(body["frequency_penalty"]?.doubleValue == -0.2)
            #expect(body["response_format"]?["type"]?.stringValue == "json_object")
        }
    }

    @Test("an image data URL in the active turn reaches the provider as an image part (J1, J4)")
    func imageForwarded() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]).base64EncodedString()
            let body = """
                {"model":"openclaw","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,\(png)"}}]}]}
                """
            let r = try await gateway.chat(body)
            #expect(r.status == 200)
            let sent = try #require(await upstream.recorder.requests.first)
            let parts = try #require(sent.messages.last?["content"]?.arrayValue)
            #expect(parts.first?["text"]?.stringValue == "User sent image(s) with no text.")
            #expect(parts.last?["image_url"]?["url"]?.stringValue == "data:image/png;base64,\(png)")
        }
    }
}
