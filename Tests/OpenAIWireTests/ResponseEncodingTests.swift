import Foundation
import OpenAIWire
import Testing

/// M2–M6, L1, L3: the JSON shapes the gateway writes.
@Suite struct ResponseEncodingTests {
    private func json(_ value: some Encodable) throws -> [String: JSONValue] {
        let data = JSONCoding.compactData(value)
        return try #require(try JSONValue.parse(data).objectValue)
    }

    @Test("M4: a content chunk keeps an explicit \"finish_reason\":null")
    func contentChunkFinishReasonNull() throws {
        let chunk = ChatCompletionChunk.content("he", id: "chatcmpl_1", created: 1_700_000_000, model: "openclaw")
        let text = JSONCoding.compactString(chunk)
        #expect(text.contains(#""finish_reason":null"#))
        let object = try json(chunk)
        #expect(object["id"] == .string("chatcmpl_1"))
        #expect(object["object"] == .string("chat.completion.chunk"))
        #expect(object["created"] == .number(1_700_000_000))
        #expect(object["model"] == .string("openclaw"))
        #expect(object["usage"] == nil)
        let choice = try #require(object["choices"]?.arrayValue?.first)
        #expect(choice["index"] == .number(0))
        #expect(choice["delta"] == .object(["content": .string("he")]))
        #expect(choice["finish_reason"] == .null)
    }

    @Test("M3: the role chunk has delta {role: assistant} and finish_reason null")
    func roleChunk() throws {
        let object = try json(ChatCompletionChunk.role(id: "c", created: 1, model: "m"))
        let choice = try #require(object["choices"]?.arrayValue?.first)
        #expect(choice["delta"] == .object(["role": .string("assistant")]))
        #expect(choice["finish_reason"] == .null)
    }

    @Test("M6: the finish chunk has an empty delta and the finish reason", arguments: ["stop", "tool_calls"])
    func finishChunk(reason: String) throws {
        let object = try json(ChatCompletionChunk.finish(reason, id: "c", created: 1, model: "m"))
        let choice = try #require(object["choices"]?.arrayValue?.first)
        #expect(choice["delta"] == .object([:]))
        #expect(choice["finish_reason"] == .string(reason))
    }

    @Test("M6: the usage chunk has choices: [] and the usage object")
    func usageChunk() throws {
        let usage = ChatUsage(promptTokens: 3, completionTokens: 4, totalTokens: 7)
        let chunk = ChatCompletionChunk.usage(usage, id: "c", created: 1, model: "m")
        #expect(JSONCoding.compactString(chunk).contains(#""choices":[]"#))
        let object = try json(chunk)
        #expect(object["choices"] == .array([]))
        #expect(
            object["usage"]
                == .object(["prompt_tokens": .number(3), "completion_tokens": .number(4), "total_tokens": .number(7)]))
    }

    @Test("L3: ChatUsage omits the details objects when the counts are zero")
    func usageOmitsZeroDetails() {
        let text = JSONCoding.compactString(ChatUsage(promptTokens: 10, completionTokens: 5, totalTokens: 15))
        #expect(text == #"{"completion_tokens":5,"prompt_tokens":10,"total_tokens":15}"#)
    }

    @Test("L3: ChatUsage includes cached_tokens and reasoning_tokens when positive")
    func usageIncludesPositiveDetails() throws {
        let usage = ChatUsage(promptTokens: 10, completionTokens: 5, totalTokens: 15, cachedTokens: 4, reasoningTokens: 2)
        let object = try json(usage)
        #expect(object["prompt_tokens_details"] == .object(["cached_tokens": .number(4)]))
        #expect(object["completion_tokens_details"] == .object(["reasoning_tokens": .number(2)]))

        let onlyCached = try json(ChatUsage(promptTokens: 1, completionTokens: 1, totalTokens: 2, cachedTokens: 1))
        #expect(onlyCached["completion_tokens_details"] == nil)
        #expect(onlyCached["prompt_tokens_details"] != nil)
    }

    @Test("L1: the non-streaming completion has one assistant choice with finish_reason and usage")
    func completionShape() throws {
        let completion = ChatCompletion(
            id: "chatcmpl_x", created: 5, model: "openclaw", content: "hello", finishReason: "stop",
            usage: ChatUsage(promptTokens: 1, completionTokens: 2, totalTokens: 3))
        let object = try json(completion)
        #expect(object["object"] == .string("chat.completion"))
        let choices = try #require(object["choices"]?.arrayValue)
        #expect(choices.count == 1)
        #expect(choices[0]["message"] == .object(["role": .string("assistant"), "content": .string("hello")]))
        #expect(choices[0]["finish_reason"] == .string("stop"))
        #expect(choices[0]["index"] == .number(0))
    }

    @Test("K3: tool calls are encoded as {id, type: function, function: {name, arguments}}")
    func toolCallShape() throws {
        let completion = ChatCompletion(
            id: "c", created: 1, model: "m", content: "",
            toolCalls: [ChatToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Oslo"}"#)],
            finishReason: "tool_calls", usage: ChatUsage(promptTokens: 0, completionTokens: 0, totalTokens: 0))
        let object = try json(completion)
        let message = try #require(object["choices"]?.arrayValue?.first?["message"])
        let call = try #require(message["tool_calls"]?.arrayValue?.first)
        #expect(call["id"] == .string("call_1"))
        #expect(call["type"] == .string("function"))
        #expect(call["function"] == .object(["name": .string("get_weather"), "arguments": .string(#"{"city":"Oslo"}"#)]))
    }

    @Test("M1: SSE.data frames compact JSON as one data line plus a blank line; [DONE] ends the stream")
    func sseFraming() {
        let frame = SSE.data(ChatUsage(promptTokens: 1, completionTokens: 1, totalTokens: 2))
        #expect(frame == "data: {\"completion_tokens\":1,\"prompt_tokens\":1,\"total_tokens\":2}\n\n")
        #expect(SSE.done == "data: [DONE]\n\n")
        #expect(SSE.comment("a\nb") == ": a b\n\n")
    }
}
