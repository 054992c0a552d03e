import Foundation
import OpenAIWire
import SessionStore
import Testing

/// Q1–Q4, B1, H1, D-1: `POST /v1/responses`.
@Suite("POST /v1/responses")
struct ResponsesEndpointTests {
    static func withResponses(
        chat: Bool = false, _ body: @Sendable (TestGateway, FakeUpstream) async throws -> Void
    ) async throws {
        try await FakeUpstream.with { upstream in
            let config = TestGateway.config(upstream: upstream).replacingOccurrences(
                of: "endpoints: { chatCompletions: { enabled: true } }",
                with: "endpoints: { chatCompletions: { enabled: \(chat) }, responses: { enabled: true } }")
            try await TestGateway.with(config: config) { gateway in try await body(gateway, upstream) }
        }
    }

    static func post(_ gateway: TestGateway, _ body: String, headers: [(String, String)] = []) async throws
        -> TestGateway.HTTPResult
    {
        try await gateway.request(.POST, "/v1/responses", headers: TestGateway.authHeaders + headers, body: body)
    }

    /// `event:` types and `data:` payloads of a Responses stream.
    static func events(_ body: String) -> [(type: String, data: JSONValue?)] {
        body.components(separatedBy: "\n\n").compactMap { block in
            let lines = block.split(separator: "\n")
            guard let data = lines.first(where: { $0.hasPrefix("data: ") })?.dropFirst(6) else { return nil }
            let type = lines.first(where: { $0.hasPrefix("event: ") }).map { String($0.dropFirst(7)) } ?? ""
            return (type, try? JSONValue.parse(Data(data.utf8)))
        }
    }

    @Test("B1/A6: disabled by default (404); enabled, other methods are 405 and /v1/models is served")
    func enabling() async throws {
        try await TestGateway.withUpstream { gateway, _ in
            let disabled = try await Self.post(gateway, #"{"input":"hi"}"#)
            #expect(disabled.status == 404)
        }
        try await Self.withResponses { gateway, _ in
            let get = try await gateway.request(.GET, "/v1/responses")
            #expect(get.status == 405)
            #expect(get.headers.first(name: "allow") == "POST")
            #expect(try await gateway.request(.GET, "/v1/models").status == 200)
            #expect(try await gateway.request(.POST, "/v1/chat/completions", body: "{}").status == 404)
            #expect(
                try await gateway.request(.POST, "/v1/responses", headers: [], body: #"{"input":"hi"}"#).status
                    == 401)
        }
    }

    @Test("Q1/Q3: a string input answers with a completed response object, usage and ids")
    func nonStream() async throws {
        try await Self.withResponses { gateway, upstream in
            let r = try await Self.post(gateway, #"{"model":"openclaw","input":"hello","instructions":"Be brief."}"#)
            #expect(r.status == 200)
            let json = try #require(r.json)
            #expect(json["object"]?.stringValue == "response")
            #expect(json["id"]?.stringValue?.hasPrefix("resp_") == true)
            #expect(json["status"]?.stringValue == "completed")
            #expect(json["model"]?.stringValue == "openclaw")
            let item = try #require(json["output"]?[0])
            #expect(item["type"]?.stringValue == "message")
            #expect(item["id"]?.stringValue?.hasPrefix("msg_") == true)
            #expect(item["role"]?.stringValue == "assistant")
            #expect(item["content"]?[0]?["type"]?.stringValue == "output_text")
            #expect(item["content"]?[0]?["text"]?.stringValue == "echo: hello")
            #expect(json["usage"]?["input_tokens"]?.doubleValue == 11)
            #expect(json["usage"]?["output_tokens"]?.doubleValue == 3)
            #expect(json["usage"]?["total_tokens"]?.doubleValue == 14)
            // Q2: instructions go to the extra system prompt.
            let request = try #require(await upstream.recorder.requests.first)
            #expect(request.systemPrompt.contains("## Group Chat Context\nBe brief."))
            // H1: a fresh `openresponses` session per request.
            let sessions = try await SessionStoreProbe.sessions(gateway)
            #expect(sessions.first?.key.hasPrefix("agent:main:openresponses:") == true)
        }
    }

    @Test("Q2: item-array input (messages, function_call_output) is flattened like chat messages (I5)")
    func itemInput() async throws {
        try await Self.withResponses { gateway, upstream in
            let body = #"""
                {"input":[
                  {"type":"message","role":"developer","content":"dev note"},
                  {"role":"user","content":[{"type":"input_text","text":"weather?"}]},
                  {"type":"function_call","call_id":"call_9","name":"get_weather","arguments":"{\"city\":\"Rome\"}"},
                  {"type":"function_call_output","call_id":"call_9","output":"hot"},
                  {"type":"reasoning","summary":[]}
                ],"user":"Ann"}
                """#
            let r = try await Self.post(gateway, body)
            #expect(r.status == 200)
            let request = try #require(await upstream.recorder.requests.first)
            #expect(
                request.lastContent
                    == "[Chat messages since your last reply - for context]\nUser: weather?\nAssistant: tool_call id=call_9 name=get_weather arguments={\"city\":\"Rome\"}\n\n[Current message - respond to this]\nTool:call_9: hot"
            )
            #expect(request.systemPrompt.contains("dev note"))
            #expect(try await SessionStoreProbe.sessions(gateway).first?.key == "agent:main:openresponses-user:ann")
        }
    }

    @Test(
        "Q2: bad bodies are 400 with a message naming the problem",
        arguments: [
            ("{}", "Missing user message in `input`."),
            (#"{"input":[]}"#, "Missing user message in `input`."),
            (#"{"input":42}"#, "input: Expected string | array, received number"),
            (#"{"input":"x","max_output_tokens":0}"#, "`max_output_tokens` must be a positive integer."),
            (#"{"input":"x","temperature":3}"#, "`temperature` must be between 0 and 2."),
            (#"{"input":"x","tools":[{"type":"web_search"}]}"#, "Invalid tools/tool_choice: only function tools are supported"),
            (#"{"input":"x","model":"gpt-4"}"#, "Invalid `model`. Use `openclaw` or `openclaw/<agentId>`."),
            (#"{"input":[{"type":"mystery"}]}"#, "input.0.type: unsupported input item type 'mystery'"),
        ])
    func badBodies(body: String, message: String) async throws {
        try await Self.withResponses { gateway, upstream in
            let r = try await Self.post(gateway, body)
            #expect(r.status == 400)
            #expect(r.errorType == "invalid_request_error")
            #expect(r.errorMessage?.hasPrefix(message) == true, "\(r.errorMessage ?? "")")
            #expect(await upstream.recorder.requests.isEmpty)
        }
    }

    @Test("Q2: previous_response_id continues that response's session; a mismatch or unknown id is a 400 that says why")
    func previousResponse() async throws {
        try await Self.withResponses { gateway, upstream in
            let first = try await Self.post(gateway, #"{"input":"remember 7","user":"bo"}"#)
            let id = try #require(first.json?["id"]?.stringValue)
            let second = try await Self.post(gateway, #"{"input":"what number?","previous_response_id":"\#(id)","user":"bo"}"#)
            #expect(second.status == 200)
            // The second call saw the first turn as history.
            let request = try #require(await upstream.recorder.requests.last)
            #expect(request.messages.contains { $0["content"]?.stringValue == "remember 7" })
            // Stateless first request (no user) still chains through the id.
            let a = try await Self.post(gateway, #"{"input":"alpha"}"#)
            let aId = try #require(a.json?["id"]?.stringValue)
            _ = try await Self.post(gateway, #"{"input":"beta","previous_response_id":"\#(aId)"}"#)
            #expect(try #require(await upstream.recorder.requests.last).messages.contains { $0["content"]?.stringValue == "alpha" })

            let otherUser = try await Self.post(gateway, #"{"input":"x","previous_response_id":"\#(id)","user":"eve"}"#)
            #expect(otherUser.status == 400)
            #expect(otherUser.errorMessage == "previous_response_id '\(id)' belongs to a different `user`.")
            let unknown = try await Self.post(gateway, #"{"input":"x","previous_response_id":"resp_nope"}"#)
            #expect(unknown.status == 400)
            #expect(unknown.errorMessage?.contains("is unknown") == true)
        }
    }

    @Test("Q2: previous_response_id of another agent is refused")
    func previousResponseOtherAgent() async throws {
        try await FakeUpstream.with { upstream in
            let config = TestGateway.config(upstream: upstream, agentsList: #"[{id: "main"}, {id: "beta"}]"#)
                .replacingOccurrences(
                    of: "endpoints: { chatCompletions: { enabled: true } }",
                    with: "endpoints: { responses: { enabled: true } }")
            try await TestGateway.with(config: config) { gateway in
                let first = try await Self.post(gateway, #"{"input":"hi","model":"openclaw/main"}"#)
                let id = try #require(first.json?["id"]?.stringValue)
                let r = try await Self.post(gateway, #"{"input":"x","model":"openclaw/beta","previous_response_id":"\#(id)"}"#)
                #expect(r.status == 400)
                #expect(r.errorMessage == "previous_response_id '\(id)' belongs to agent 'main', not 'beta'.")
            }
        }
    }

    @Test("Q4: the stream has the exact event sequence, deltas that add up, and ends with [DONE]")
    func streamSequence() async throws {
        try await Self.withResponses { gateway, _ in
            let r = try await Self.post(gateway, #"{"input":"stream me","stream":true}"#)
            #expect(r.status == 200)
            #expect(r.headers.first(name: "content-type") == "text/event-stream; charset=utf-8")
            let events = Self.events(r.body)
            let types = events.map(\.type).filter { $0 != "response.output_text.delta" }
            #expect(
                types == [
                    "response.created", "response.in_progress", "response.output_item.added",
                    "response.content_part.added", "response.output_text.done", "response.content_part.done",
                    "response.output_item.done", "response.completed", "",
                ])
            #expect(r.body.hasSuffix("data: [DONE]\n\n"))
            let deltas = events.filter { $0.type == "response.output_text.delta" }
            #expect(deltas.count >= 2)
            #expect(deltas.compactMap { $0.data?["delta"]?.stringValue }.joined() == "echo: stream me")
            let done = events.first { $0.type == "response.output_text.done" }?.data
            #expect(done?["text"]?.stringValue == "echo: stream me")
            let completed = try #require(events.first { $0.type == "response.completed" }?.data?["response"])
            #expect(completed["status"]?.stringValue == "completed")
            #expect(completed["output"]?[0]?["content"]?[0]?["text"]?.stringValue == "echo: stream me")
            let sequence = events.dropLast().compactMap { $0.data?["sequence_number"]?.doubleValue }
            #expect(sequence == (0..<sequence.count).map(Double.init))
            // Every event names the same response / item.
            let itemIds = Set(deltas.compactMap { $0.data?["item_id"]?.stringValue })
            #expect(itemIds.count == 1)
        }
    }

    @Test("Q4: deltas the model sent together are all relayed at once, one event each, without waiting for more")
    func burstIsRelayedWithoutWaiting() async throws {
        // `burst`: three chunks in one upstream write, then 6 s of silence (see the chat test).
        try await FakeUpstream.with { upstream in
            let config = TestGateway.config(upstream: upstream, model: "fake/burst").replacingOccurrences(
                of: "endpoints: { chatCompletions: { enabled: true } }",
                with: "endpoints: { responses: { enabled: true } }")
            try await TestGateway.with(config: config) { gateway in
                try await RawSocket.with(port: gateway.port) { socket in
                    try await socket.post("/v1/responses", #"{"input":"x","stream":true}"#)
                    _ = try await socket.readHead()
                    let sent = try await socket.readUntil(#""delta":"three""#, within: .seconds(3))
                    let deltas = sent.split(whereSeparator: \.isNewline).filter {
                        $0.hasPrefix("event: response.output_text.delta")
                    }
                    #expect(deltas.count == 3)
                    #expect(sent.contains(#""delta":"one ""#) && sent.contains(#""delta":"two ""#))
                    #expect(!sent.contains("response.completed"))
                }
            }
        }
    }

    @Test("Q3/Q4/K3: a client tool call becomes function_call items (non-stream and stream)")
    func functionCalls() async throws {
        try await Self.withResponses { gateway, upstream in
            let tools = #""tools":[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]"#
            await upstream.recorder.enqueue(
                .toolCalls("", [(id: "call_r1", name: "get_weather", arguments: #"{"city":"Nice"}"#)]))
            let r = try await Self.post(gateway, #"{"input":"weather?",\#(tools)}"#)
            #expect(r.status == 200)
            let output = try #require(r.json?["output"]?.arrayValue)
            #expect(output.count == 1)
            #expect(output[0]["type"]?.stringValue == "function_call")
            #expect(output[0]["call_id"]?.stringValue == "call_r1")
            #expect(output[0]["id"]?.stringValue?.hasPrefix("call_") == true)
            #expect(output[0]["name"]?.stringValue == "get_weather")
            #expect(output[0]["arguments"]?.stringValue == #"{"city":"Nice"}"#)
            #expect(output[0]["status"]?.stringValue == "completed")
            #expect(try #require(await upstream.recorder.requests.last).toolNames.last == "get_weather")

            await upstream.recorder.enqueue(
                .toolCalls("Let me see.", [(id: "call_r2", name: "get_weather", arguments: #"{"city":"Oslo"}"#)]))
            let s = try await Self.post(gateway, #"{"input":"weather?","stream":true,\#(tools)}"#)
            let events = Self.events(s.body)
            let added = events.filter { $0.type == "response.output_item.added" }.compactMap { $0.data?["item"]?["type"]?.stringValue }
            #expect(added == ["message", "function_call"])
            let argsDone = events.first { $0.type == "response.function_call_arguments.done" }?.data
            #expect(argsDone?["arguments"]?.stringValue == #"{"city":"Oslo"}"#)
            let completed = events.first { $0.type == "response.completed" }?.data?["response"]
            #expect(completed?["output"]?.arrayValue?.count == 2)
            #expect(completed?["output"]?[1]?["call_id"]?.stringValue == "call_r2")
        }
    }

    @Test("Q3/Q4: a failed run is 500 with status failed, or a response.failed event then [DONE]")
    func failure() async throws {
        try await Self.withResponses { gateway, upstream in
            await upstream.recorder.enqueue(.status(500))
            let r = try await Self.post(gateway, #"{"input":"x"}"#)
            #expect(r.status == 500)
            #expect(r.json?["status"]?.stringValue == "failed")
            #expect(r.json?["error"]?["message"]?.stringValue == "upstream provider error")

            await upstream.recorder.enqueue(.status(500))
            let s = try await Self.post(gateway, #"{"input":"x","stream":true}"#)
            let events = Self.events(s.body)
            #expect(events.map(\.type) == ["response.created", "response.in_progress", "response.failed", ""])
            #expect(events[2].data?["response"]?["status"]?.stringValue == "failed")
            #expect(s.body.hasSuffix("data: [DONE]\n\n"))
        }
    }

    @Test("Q2/B4: input_file text goes to the extra system prompt; input_image data URLs reach the provider")
    func filesAndImages() async throws {
        try await Self.withResponses { gateway, upstream in
            let file = Data("line one\nline two".utf8).base64EncodedString()
            let png = Data([0x89, 0x50, 0x4E, 0x47]).base64EncodedString()
            let body = #"""
                {"input":[{"role":"user","content":[
                  {"type":"input_text","text":"summarise"},
                  {"type":"input_file","filename":"notes.txt","file_data":"data:text/plain;base64,\#(file)"},
                  {"type":"input_image","image_url":"data:image/png;base64,\#(png)"}]}]}
                """#
            let r = try await Self.post(gateway, body)
            #expect(r.status == 200)
            let request = try #require(await upstream.recorder.requests.first)
            #expect(request.systemPrompt.contains("[file notes.txt]\nline one\nline two"))
            let parts = request.messages.last?["content"]?.arrayValue ?? []
            #expect(parts.first?["text"]?.stringValue == "summarise")
            #expect(parts.last?["image_url"]?["url"]?.stringValue == "data:image/png;base64,\(png)")

            let pdf = #"{"input":[{"role":"user","content":[{"type":"input_file","file_data":"data:application/pdf;base64,JVBERg=="}]}]}"#
            let refused = try await Self.post(gateway, pdf)
            #expect(refused.status == 400)
            #expect(refused.errorMessage?.hasPrefix("Invalid input_file") == true)
        }
    }

    @Test("D-1: x-openclaw-sender-is-owner is read on /v1/responses")
    func ownerHeader() async throws {
        try await Self.withResponses { gateway, upstream in
            _ = try await Self.post(gateway, #"{"input":"x"}"#, headers: [("x-openclaw-sender-is-owner", "false")])
            let tools = try #require(await upstream.recorder.requests.last).toolNames
            #expect(!tools.contains("exec"))
            #expect(tools.contains("read"))
        }
    }
}
