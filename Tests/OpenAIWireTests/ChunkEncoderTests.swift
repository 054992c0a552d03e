import Foundation
import OpenAIWire
import Testing

@Suite struct ChunkEncoderTests {
    @Test(
        "the fast content chunk is byte-identical to the JSONEncoder chunk (M4)",
        arguments: [
            "hello", "", "quote \" and backslash \\", "line\nbreak\r\ttab", "ctrl \u{01}\u{1F}\u{08}\u{0C}",
            "unicode é 漢字 🦀", "slash / and </script>", "\u{2028}\u{2029}", "emoji 👩‍👩‍👧 combining e\u{301}",
            "crlf\r\nline é\n漢字\r\n🦀\"", "\n", "e\u{301}\n\u{301}",
            String(repeating: "a longer line with é, 漢字 and \"quotes\"\tthen\n", count: 40) + "no escape at the end",
            "escape at the end\\", String(repeating: "x", count: 500),
        ])
    func identicalToEncoder(text: String) throws {
        let encoder = ChunkEncoder(id: "chatcmpl_x\"y", created: 1_700_000_000, model: "openclaw/ünï\\code")
        let expected = SSE.data(
            ChatCompletionChunk.content(text, id: "chatcmpl_x\"y", created: 1_700_000_000, model: "openclaw/ünï\\code"))
        #expect(encoder.content(text) == expected)
        // And it is valid JSON that round-trips the text.
        let json = try JSONValue.parse(Data(encoder.content(text).dropFirst(6).utf8))
        #expect(json["choices"]?[0]?["delta"]?["content"]?.stringValue == text)
    }

    @Test(
        "JSONValue is written as JSONEncoder writes it: compact, sorted keys, integers without a fraction",
        arguments: [
            JSONValue.object([
                "b": .array([.number(1), .number(-2.5), .number(1e21), .bool(true), .null]),
                "a": .object(["z": .string("line\r\n\"q\" é"), "y": .object([:]), "x": .array([])]),
                "type": .string("object"), "n": .number(0.1),
            ]),
            .string("plain"), .number(42), .array([.string("\u{01}"), .object(["k": .null])]),
        ])
    func jsonValueWriter(value: JSONValue) {
        #expect(value.jsonString() == JSONCoding.compactString(value))
    }

    @Test("role, finish and usage chunks match the Codable shapes (M3, M6)")
    func otherChunks() {
        let e = ChunkEncoder(id: "a", created: 1, model: "m")
        #expect(e.role() == SSE.data(ChatCompletionChunk.role(id: "a", created: 1, model: "m")))
        #expect(e.finish("stop") == SSE.data(ChatCompletionChunk.finish("stop", id: "a", created: 1, model: "m")))
        let usage = ChatUsage(promptTokens: 1, completionTokens: 2, totalTokens: 3)
        #expect(e.usage(usage) == SSE.data(ChatCompletionChunk.usage(usage, id: "a", created: 1, model: "m")))
        let details = ChatUsage(promptTokens: 10, completionTokens: 2, totalTokens: 12, cachedTokens: 4, reasoningTokens: 1)
        #expect(e.usage(details) == SSE.data(ChatCompletionChunk.usage(details, id: "a", created: 1, model: "m")))
        let odd = ChunkEncoder(id: "x\"y", created: 2, model: "ü\\/")
        #expect(odd.role() == SSE.data(ChatCompletionChunk.role(id: "x\"y", created: 2, model: "ü\\/")))
        #expect(odd.finish("len\"gth") == SSE.data(ChatCompletionChunk.finish("len\"gth", id: "x\"y", created: 2, model: "ü\\/")))
    }

    @Test(
        "the fast chat.completion body is byte-identical to the JSONEncoder body (L1–L3)",
        arguments: ["hello", "", "quote \" / slash", "line\nbreak \u{01} é 🦀"])
    func completionIdenticalToEncoder(text: String) {
        for usage in [
            ChatUsage(promptTokens: 1, completionTokens: 2, totalTokens: 3),
            ChatUsage(promptTokens: 9, completionTokens: 2, totalTokens: 11, cachedTokens: 5, reasoningTokens: 7),
        ] {
            let completion = ChatCompletion(
                id: "chatcmpl_\"a", created: 1_700_000_000, model: "openclaw/ü", content: text, finishReason: "stop",
                usage: usage)
            #expect(completion.compactJSON() == JSONCoding.compactString(completion))
        }
        let withTools = ChatCompletion(
            id: "c", created: 1, model: "m", content: "", toolCalls: [ChatToolCall(id: "t", name: "f", arguments: "{}")],
            finishReason: "tool_calls", usage: ChatUsage(promptTokens: 1, completionTokens: 1, totalTokens: 2))
        #expect(withTools.compactJSON() == JSONCoding.compactString(withTools))
    }
}
