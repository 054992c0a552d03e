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
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { bytes in
            appendQuoted(text, bytes: bytes, to: &out)
        }
        if done == nil {
            // Not stored as contiguous UTF-8 (a bridged string): make a copy that is.
            var copy = text
            copy.makeContiguousUTF8()
            appendQuoted(copy, to: &out)
        }
    }

    /// `bytes` is `text`'s UTF-8. Scans the bytes directly (2–2.5× faster than through
    /// `String.UTF8View` on multi-line text such as the system prompt and flattened
    /// conversations, measured) and copies the runs between escapes whole: escapes are ASCII,
    /// so every run is whole UTF-8 sequences.
    private static func appendQuoted(_ text: String, bytes: UnsafeBufferPointer<UInt8>, to out: inout String) {
        func needsEscape(_ byte: UInt8) -> Bool {
            byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
        }
        let count = bytes.count
        var index = 0
        while index < count, !needsEscape(bytes[index]) { index += 1 }
        out.append("\"")
        guard index < count else {
            // Most text needs no escape at all: one append.
            out.append(text)
            out.append("\"")
            return
        }
        let utf8 = text.utf8
        func appendRun(_ from: Int, _ to: Int) {
            guard from < to else { return }
            let lower = utf8.index(utf8.startIndex, offsetBy: from)
            out.append(contentsOf: Substring(utf8[lower..<utf8.index(lower, offsetBy: to - from)]))
        }
        var start = 0
        while index < count {
            let byte = bytes[index]
            if needsEscape(byte) {
                appendRun(start, index)
                switch byte {
                case UInt8(ascii: "\""): out.append("\\\"")
                case UInt8(ascii: "\\"): out.append("\\\\")
                case UInt8(ascii: "\n"): out.append("\\n")
                case UInt8(ascii: "\r"): out.append("\\r")
                case UInt8(ascii: "\t"): out.append("\\t")
                case 0x08: out.append("\\b")
                case 0x0C: out.append("\\f")
                default:
                    let hex = String(byte, radix: 16)
                    out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                }
                start = index + 1
            }
            index += 1
        }
        appendRun(start, count)
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
