import Foundation
import OpenAIWire
import Testing

/// K1–K3, M7: client function tools offered beside the agent's own, a call ends the run with
/// `tool_calls`, and the follow-up request with `role: "tool"` continues the conversation.
@Suite("Client function tools over HTTP")
struct ClientToolsTests {
    static let weatherTool =
        #"{"type":"function","function":{"name":"get_weather","description":"Weather for a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}"#

    static func body(stream: Bool = false, toolChoice: String? = nil, user: String = "tools") -> String {
        let choice = toolChoice.map { #","tool_choice":\#($0)"# } ?? ""
        return chatBody(
            "weather in Paris?", stream: stream, extra: #","user":"\#(user)","tools":[\#(weatherTool)]\#(choice)"#)
    }

    @Test("K3: a client tool call ends a non-stream run with finish_reason tool_calls; the follow-up continues it")
    func roundTripNonStream() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            let arguments = #"{"city":"Paris"}"#
            await upstream.recorder.enqueue(
                .toolCalls("Checking.", [(id: "call_w1", name: "get_weather", arguments: arguments)]))
            let r = try await gateway.chat(Self.body())
            #expect(r.status == 200)
            let choice = r.json?["choices"]?[0]
            #expect(choice?["finish_reason"]?.stringValue == "tool_calls")
            #expect(choice?["message"]?["content"]?.stringValue == "Checking.")
            let call = choice?["message"]?["tool_calls"]?[0]
            #expect(call?["id"]?.stringValue == "call_w1")
            #expect(call?["type"]?.stringValue == "function")
            #expect(call?["function"]?["name"]?.stringValue == "get_weather")
            #expect(call?["function"]?["arguments"]?.stringValue == arguments)
            // The client tool was offered beside the agent's own tools.
            let offered = try #require(await upstream.recorder.requests.first).toolNames
            #expect(offered.first == "read")
            #expect(offered.last == "get_weather")
            #expect(await upstream.recorder.requests.count == 1)

            // Follow-up: the assistant message with the call, then the tool result.
            await upstream.recorder.enqueue(.text("It is sunny in Paris."))
            let followUp = #"""
                {"model":"openclaw","user":"tools","tools":[\#(Self.weatherTool)],"messages":[
                  {"role":"user","content":"weather in Paris?"},
                  {"role":"assistant","content":"Checking.","tool_calls":[{"id":"call_w1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
                  {"role":"tool","tool_call_id":"call_w1","content":"sunny, 21C"}]}
                """#
            let r2 = try await gateway.chat(followUp)
            #expect(r2.status == 200)
            #expect(r2.json?["choices"]?[0]?["message"]?["content"]?.stringValue == "It is sunny in Paris.")
            #expect(r2.json?["choices"]?[0]?["finish_reason"]?.stringValue == "stop")
            let second = try #require(await upstream.recorder.requests.last)
            // I5: the tool result is the current message; the stored call is replayed as text.
            #expect(second.lastContent.hasSuffix("[Current message - respond to this]\nTool:call_w1: sunny, 21C"))
            let history = second.messages.dropFirst().dropLast()
            #expect(history.contains { $0["content"]?.stringValue?.contains("tool_call id=call_w1 name=get_weather") == true })
            #expect(second.toolMessages.isEmpty)
        }
    }

    @Test("M7: a streamed client tool call: commentary, id+name chunk, argument chunks, finish tool_calls")
    func streamShape() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            let arguments = #"{"city":"Paris","note":""# + String(repeating: "x", count: 300) + #""}"#
            await upstream.recorder.enqueue(
                .toolCalls("One moment.", [(id: "call_s1", name: "get_weather", arguments: arguments)]))
            let (r, events) = try await gateway.stream(Self.body(stream: true))
            #expect(r.status == 200)
            let chunks = events.dropLast().compactMap { try? JSONValue.parse(Data($0.utf8)) }
            #expect(events.last == "[DONE]")
            let content = chunks.compactMap { $0["choices"]?[0]?["delta"]?["content"]?.stringValue }.joined()
            #expect(content == "One moment.")
            let callChunks = chunks.compactMap { $0["choices"]?[0]?["delta"]?["tool_calls"]?[0] }
            #expect(callChunks.count == 3)  // head + 256 + the rest
            #expect(callChunks[0]["id"]?.stringValue == "call_s1")
            #expect(callChunks[0]["type"]?.stringValue == "function")
            #expect(callChunks[0]["function"]?["name"]?.stringValue == "get_weather")
            #expect(callChunks[0]["function"]?["arguments"]?.stringValue == "")
            #expect(callChunks.allSatisfy { $0["index"]?.doubleValue == 0 })
            #expect(callChunks[1]["function"]?["arguments"]?.stringValue?.count == 256)
            let joined = callChunks.dropFirst().compactMap { $0["function"]?["arguments"]?.stringValue }.joined()
            #expect(joined == arguments)
            let finish = chunks.compactMap { $0["choices"]?[0]?["finish_reason"]?.stringValue }
            #expect(finish == ["tool_calls"])
        }
    }

    @Test("K2: tool_choice none hides client tools; a pinned function exposes only that tool")
    func toolChoiceExposure() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            _ = try await gateway.chat(Self.body(toolChoice: #""none""#))
            #expect(try #require(await upstream.recorder.requests.last).toolNames.contains("get_weather") == false)

            let other = #"{"type":"function","function":{"name":"get_time"}}"#
            await upstream.recorder.enqueue(
                .toolCalls("", [(id: "c1", name: "get_weather", arguments: #"{"city":"Oslo"}"#)]))
            let body = chatBody(
                "x",
                extra:
                    #","tools":[\#(Self.weatherTool),\#(other)],"tool_choice":{"type":"function","function":{"name":"get_weather"}}"#)
            let r = try await gateway.chat(body)
            #expect(r.json?["choices"]?[0]?["finish_reason"]?.stringValue == "tool_calls")
            let last = try #require(await upstream.recorder.requests.last)
            #expect(last.toolNames.contains("get_weather"))
            #expect(!last.toolNames.contains("get_time"))
            #expect(last.systemPrompt.contains("You must call the tool `get_weather` in this reply."))
        }
    }

    @Test("K2: a required tool_choice that the model ignores is 502 (non-stream) or an error event (stream)")
    func requiredUnmet() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            await upstream.recorder.enqueue(.text("I will not call it."))
            let r = try await gateway.chat(Self.body(toolChoice: #""required""#))
            #expect(r.status == 502)
            #expect(r.errorType == "api_error")

            await upstream.recorder.enqueue(.text("I will not call it."))
            let (s, events) = try await gateway.stream(Self.body(stream: true, toolChoice: #""required""#))
            #expect(s.status == 200)
            #expect(events.last == "[DONE]")
            let error = try #require(events.dropLast().last.flatMap { try? JSONValue.parse(Data($0.utf8)) })
            #expect(error["error"]?["type"]?.stringValue == "api_error")
            // Prose is held back while the constraint is active (M7): none of it was streamed.
            #expect(!s.body.contains("I will not call it."))
        }
    }

    @Test("K1: malformed tools are refused with 400 before any run")
    func malformedTools() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            let r = try await gateway.chat(chatBody("x", extra: #","tools":[{"type":"custom"}]"#))
            #expect(r.status == 400)
            #expect(r.errorMessage == "Invalid tools/tool_choice: only function tools are supported")
            #expect(await upstream.recorder.requests.isEmpty)
        }
    }
}
