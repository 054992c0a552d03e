/// Fast SSE encoding of the chunks of one stream (M2–M6).
///
/// Every content chunk of a response differs only in its text, so the JSON around it is built
/// once and each delta costs one string escape. The output is byte-for-byte what
/// `SSE.data(ChatCompletionChunk…)` produces (sorted keys), which a test checks.
public struct ChunkEncoder: Sendable {
    private let contentPrefix: String
    private let contentSuffix: String
    private let id: String
    private let created: Int
    private let model: String

    public init(id: String, created: Int, model: String) {
        self.id = id
        self.created = created
        self.model = model
        contentPrefix = #"data: {"choices":[{"delta":{"content":"#
        contentSuffix =
            #"},"finish_reason":null,"index":0}],"created":\#(created),"id":"# + Self.quoted(id) + #","model":"#
            + Self.quoted(model) + #","object":"chat.completion.chunk"}"# + "\n\n"
    }

    /// `data: {…delta.content…}` + blank line.
    public func content(_ text: String) -> String {
        var out = contentPrefix
        out.reserveCapacity(contentPrefix.utf8.count + contentSuffix.utf8.count + text.utf8.count + 8)
        Self.appendQuoted(text, to: &out)
        out += contentSuffix
        return out
    }

    public func role() -> String {
        #"data: {"choices":[{"delta":{"role":"assistant"},"finish_reason":null,"index":0}],"# + tail(usage: nil)
    }

    public func finish(_ reason: String) -> String {
        #"data: {"choices":[{"delta":{},"finish_reason":"# + Self.quoted(reason) + #","index":0}],"#
            + tail(usage: nil)
    }

    public func usage(_ usage: ChatUsage) -> String {
        #"data: {"choices":[],"# + tail(usage: usage)
    }

    /// `"created":…,"id":…,"model":…,"object":"chat.completion.chunk"[,"usage":…]}` + blank line.
    private func tail(usage: ChatUsage?) -> String {
        var out = #""created":\#(created),"id":"# + Self.quoted(id) + #","model":"# + Self.quoted(model)
            + #","object":"chat.completion.chunk""#
        if let usage {
            out += #","usage":"#
            usage.appendJSON(to: &out)
        }
        return out + "}\n\n"
    }

    /// M7: one client tool call — a chunk with its id and name (empty arguments), then the
    /// arguments in slices of at most 256 characters (at least one chunk, even when empty).
    public func toolCall(index: Int, id callId: String, name: String, arguments: String) -> String {
        typealias Call = ChatCompletionChunk.ToolCallDelta
        func chunk(_ call: Call) -> String {
            SSE.data(
                ChatCompletionChunk(
                    id: id, created: created, model: model,
                    choices: [.init(delta: .init(toolCalls: [call]))]))
        }
        var out = chunk(Call(index: index, id: callId, type: "function", function: .init(name: name, arguments: "")))
        var rest = Substring(arguments)
        repeat {
            let slice = rest.prefix(256)
            rest = rest.dropFirst(slice.count)
            out += chunk(Call(index: index, function: .init(arguments: String(slice))))
        } while !rest.isEmpty
        return out
    }

    /// A JSON string literal for `text`.
    public static func quoted(_ text: String) -> String {
        var out = ""
        appendQuoted(text, to: &out)
        return out
    }

    /// Appends `text` as a JSON string literal: quotes, backslashes and control characters
    /// escaped, everything else (including non-ASCII and `/`) as is — as Foundation's encoder does
    /// with `.withoutEscapingSlashes`.
    public static func appendQuoted(_ text: String, to out: inout String) {
        // Most text needs no escape at all: one scan of its UTF-8, one append.
        let plain = text.utf8.allSatisfy { $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
        if plain {
            out.append("\"")
            out.append(text)
            out.append("\"")
            return
        }
        // Escapes are ASCII, so the runs between them are whole UTF-8 sequences: copy each
        // run whole (multi-line text such as the system prompt is on the hot path).
        out.append("\"")
        let utf8 = text.utf8
        var start = utf8.startIndex
        var index = start
        while index != utf8.endIndex {
            let byte = utf8[index]
            let escape: String?
            switch byte {
            case UInt8(ascii: "\""): escape = "\\\""
            case UInt8(ascii: "\\"): escape = "\\\\"
            case UInt8(ascii: "\n"): escape = "\\n"
            case UInt8(ascii: "\r"): escape = "\\r"
            case UInt8(ascii: "\t"): escape = "\\t"
            case 0x08: escape = "\\b"
            case 0x0C: escape = "\\f"
            case ..<0x20:
                let hex = String(byte, radix: 16)
                escape = "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: escape = nil
            }
            if let escape {
                out.append(contentsOf: Substring(utf8[start..<index]))
                out.append(escape)
                start = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        out.append(contentsOf: Substring(utf8[start..<utf8.endIndex]))
        out.append("\"")
    }
}

extension ChatUsage {
    /// Appends this usage as compact JSON with sorted keys, as `JSONCoding` writes it.
    public func appendJSON(to out: inout String) {
        out += #"{"completion_tokens":\#(completionTokens)"#
        if let details = completionTokensDetails {
            out += #","completion_tokens_details":{"reasoning_tokens":\#(details.reasoningTokens)}"#
        }
        out += #","prompt_tokens":\#(promptTokens)"#
        if let details = promptTokensDetails {
            out += #","prompt_tokens_details":{"cached_tokens":\#(details.cachedTokens)}"#
        }
        out += #","total_tokens":\#(totalTokens)}"#
    }
}

extension ChatCompletion {
    /// Compact JSON with sorted keys, byte-identical to `JSONCoding.compactData(self)` (a test
    /// checks), written directly instead of through `JSONEncoder`.
    public func compactJSON() -> String {
        guard choices.count == 1, let choice = choices.first, choice.message.toolCalls == nil else {
            return JSONCoding.compactString(self)
        }
        var out = #"{"choices":[{"finish_reason":"#
        out.reserveCapacity(256 + choice.message.content.utf8.count)
        ChunkEncoder.appendQuoted(choice.finishReason, to: &out)
        out += #","index":\#(choice.index),"message":{"content":"#
        ChunkEncoder.appendQuoted(choice.message.content, to: &out)
        out += #","role":"#
        ChunkEncoder.appendQuoted(choice.message.role, to: &out)
        out += #"}}],"created":\#(created),"id":"#
        ChunkEncoder.appendQuoted(id, to: &out)
        out += #","model":"#
        ChunkEncoder.appendQuoted(model, to: &out)
        out += #","object":"#
        ChunkEncoder.appendQuoted(object, to: &out)
        out += #","usage":"#
        usage.appendJSON(to: &out)
        out += "}"
        return out
    }
}
