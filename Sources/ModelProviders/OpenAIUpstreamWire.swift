import OpenAIWire

/// The body sent to an OpenAI-compatible `/chat/completions` (D-10), written directly as
/// compact JSON: it is built for every model call, and `JSONEncoder` spent more CPU on it (the
/// tool schemas above all) than the rest of a request. Tool schemas come pre-written
/// (`ToolDefinition.functionJSON`).
enum UpstreamChatBody {
    static func json(_ request: ModelRequest) -> String {
        var out = #"{"model":"#
        // Room for everything but escapes, so the body is not copied as it grows (the tools'
        // schemas are most of a short turn's body).
        out.reserveCapacity(
            1024 + request.messages.reduce(0) { $0 + $1.content.utf8.count + 64 }
                + request.tools.reduce(0) { $0 + $1.functionJSON.utf8.count + 32 })
        ChunkEncoder.appendQuoted(request.model, to: &out)
        out += #","messages":["#
        for (i, message) in request.messages.enumerated() {
            if i > 0 { out += "," }
            append(message, to: &out)
        }
        out += "]"
        if request.stream {
            out += #","stream":true,"stream_options":{"include_usage":true}"#
        } else {
            out += #","stream":false"#
        }
        if !request.tools.isEmpty {
            out += #","tools":["#
            for (i, tool) in request.tools.enumerated() {
                if i > 0 { out += "," }
                out += #"{"function":"#
                out += tool.functionJSON
                out += #","type":"function"}"#
            }
            out += "]"
            if let choice = request.toolChoice {
                out += #","tool_choice":"#
                choice.appendJSON(to: &out)
            }
        }
        let s = request.sampling
        if let v = s.maxTokens { out += #","max_tokens":\#(v)"# }
        if let v = s.temperature { member("temperature", .number(v), to: &out) }
        if let v = s.topP { member("top_p", .number(v), to: &out) }
        if let v = s.frequencyPenalty { member("frequency_penalty", .number(v), to: &out) }
        if let v = s.presencePenalty { member("presence_penalty", .number(v), to: &out) }
        if let v = s.seed { out += #","seed":\#(v)"# }
        if let v = s.stop { member("stop", .array(v.map(JSONValue.string)), to: &out) }
        if let v = s.responseFormat { member("response_format", v, to: &out) }
        out += "}"
        return out
    }

    private static func member(_ key: String, _ value: JSONValue, to out: inout String) {
        out += #",""# + key + #"":"#
        value.appendJSON(to: &out)
    }

    private static func append(_ m: ChatMessage, to out: inout String) {
        out += #"{"role":"#
        ChunkEncoder.appendQuoted(m.role.rawValue, to: &out)
        if !m.images.isEmpty {
            var parts: [JSONValue] = []
            if !m.content.isEmpty { parts.append(.object(["type": .string("text"), "text": .string(m.content)])) }
            for image in m.images {
                let url = "data:\(image.mimeType);base64,\(image.base64Data)"
                parts.append(.object(["type": .string("image_url"), "image_url": .object(["url": .string(url)])]))
            }
            member("content", .array(parts), to: &out)
        } else if !(m.role == .assistant && !m.toolCalls.isEmpty && m.content.isEmpty) {
            out += #","content":"#
            ChunkEncoder.appendQuoted(m.content, to: &out)
        }
        if !m.toolCalls.isEmpty {
            out += #","tool_calls":["#
            for (i, call) in m.toolCalls.enumerated() {
                if i > 0 { out += "," }
                out += #"{"function":{"arguments":"#
                ChunkEncoder.appendQuoted(call.arguments, to: &out)
                out += #","name":"#
                ChunkEncoder.appendQuoted(call.name, to: &out)
                out += #"},"id":"#
                ChunkEncoder.appendQuoted(call.id, to: &out)
                out += #","type":"function"}"#
            }
            out += "]"
        }
        if let id = m.toolCallId {
            out += #","tool_call_id":"#
            ChunkEncoder.appendQuoted(id, to: &out)
        }
        out += "}"
    }
}

/// One streamed chunk (or a whole non-stream completion) from an OpenAI-compatible server.
struct UpstreamChunk: Decodable {
    struct Choice: Decodable {
        struct Delta: Decodable {
            var content: String?
            var toolCalls: [ToolCallDelta]?
            enum CodingKeys: String, CodingKey {
                case content
                case toolCalls = "tool_calls"
            }
        }
        struct ToolCallDelta: Decodable {
            struct Function: Decodable {
                var name: String?
                var arguments: String?
            }
            var index: Int?
            var id: String?
            var function: Function?
        }
        var delta: Delta?
        /// Present instead of `delta` in a non-stream completion.
        var message: Delta?
        var finishReason: String?
        enum CodingKeys: String, CodingKey {
            case delta, message
            case finishReason = "finish_reason"
        }
    }
    struct Usage: Decodable {
        struct PromptDetails: Decodable {
            var cachedTokens: Int?
            enum CodingKeys: String, CodingKey { case cachedTokens = "cached_tokens" }
        }
        struct CompletionDetails: Decodable {
            var reasoningTokens: Int?
            enum CodingKeys: String, CodingKey { case reasoningTokens = "reasoning_tokens" }
        }
        var promptTokens: Int?
        var completionTokens: Int?
        var totalTokens: Int?
        var promptTokensDetails: PromptDetails?
        var completionTokensDetails: CompletionDetails?
        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
            case completionTokens = "completion_tokens"
            case totalTokens = "total_tokens"
            case promptTokensDetails = "prompt_tokens_details"
            case completionTokensDetails = "completion_tokens_details"
        }

        var modelUsage: ModelUsage {
            let cached = promptTokensDetails?.cachedTokens ?? 0
            return ModelUsage(
                inputTokens: max(0, (promptTokens ?? 0) - cached), outputTokens: completionTokens ?? 0,
                cacheReadTokens: cached, reasoningTokens: completionTokensDetails?.reasoningTokens ?? 0,
                totalTokens: totalTokens ?? 0)
        }
    }
    struct ErrorBody: Decodable {
        var message: String?
        var type: String?
        var code: CodeValue?
    }
    /// `code` is a string for OpenAI, a number for some servers.
    struct CodeValue: Decodable {
        var text: String
        init(text: String) { self.text = text }
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) {
                text = s
            } else {
                text = String(try c.decode(Int.self))
            }
        }
    }

    var choices: [Choice]?
    var usage: Usage?
    var error: ErrorBody?
}

/// Assembles streamed tool-call fragments by their `index`.
struct ToolCallAccumulator {
    private var calls: [Int: (id: String, name: String, arguments: String)] = [:]

    mutating func add(_ delta: UpstreamChunk.Choice.ToolCallDelta, fallbackIndex: Int) {
        let index = delta.index ?? fallbackIndex
        var call = calls[index] ?? (id: "", name: "", arguments: "")
        if let id = delta.id, !id.isEmpty { call.id = id }
        if let name = delta.function?.name, !name.isEmpty { call.name += name }
        if let args = delta.function?.arguments { call.arguments += args }
        calls[index] = call
    }

    var toolCalls: [ToolCall] {
        calls.keys.sorted().compactMap { index in
            let c = calls[index]!
            guard !c.name.isEmpty else { return nil }
            return ToolCall(id: c.id.isEmpty ? "call_\(index)" : c.id, name: c.name, arguments: c.arguments)
        }
    }
}

// MARK: - Fast decoding

/// `UpstreamChunk` read with `JSONReader` instead of `JSONDecoder` (one per stream event is the
/// hot path). Same rules as the synthesized `Decodable`: unknown keys are skipped, an absent or
/// `null` member is `nil`, and a member of the wrong type fails the whole chunk.
extension UpstreamChunk {
    /// The chunk in `text`, or nil when it is not a valid chunk.
    static func decode(_ text: String) -> UpstreamChunk? {
        try? JSONReader.read(text) { reader throws(JSONReaderError) in try UpstreamChunk(reader: &reader) }
    }

    init(reader: inout JSONReader) throws(JSONReaderError) {
        try reader.readObject { r, key throws(JSONReaderError) in
            if key.matches("choices") {
                choices = try r.optionalArray { r throws(JSONReaderError) in try Choice(reader: &r) }
            } else if key.matches("usage") {
                usage = try r.readNullIfPresent() ? nil : try Usage(reader: &r)
            } else if key.matches("error") {
                error = try r.readNullIfPresent() ? nil : try ErrorBody(reader: &r)
            } else {
                try r.skipValue()
            }
        }
    }
}

extension UpstreamChunk.Choice {
    init(reader: inout JSONReader) throws(JSONReaderError) {
        try reader.readObject { r, key throws(JSONReaderError) in
            if key.matches("delta") {
                delta = try r.readNullIfPresent() ? nil : try Delta(reader: &r)
            } else if key.matches("message") {
                message = try r.readNullIfPresent() ? nil : try Delta(reader: &r)
            } else if key.matches("finish_reason") {
                finishReason = try r.optionalString()
            } else {
                try r.skipValue()
            }
        }
    }
}

extension UpstreamChunk.Choice.Delta {
    init(reader: inout JSONReader) throws(JSONReaderError) {
        try reader.readObject { r, key throws(JSONReaderError) in
            if key.matches("content") {
                content = try r.optionalString()
            } else if key.matches("tool_calls") {
                toolCalls = try r.optionalArray { r throws(JSONReaderError) in
                    try UpstreamChunk.Choice.ToolCallDelta(reader: &r)
                }
            } else {
                try r.skipValue()
            }
        }
    }
}

extension UpstreamChunk.Choice.ToolCallDelta {
    init(reader: inout JSONReader) throws(JSONReaderError) {
        try reader.readObject { r, key throws(JSONReaderError) in
            if key.matches("index") {
                index = try r.optionalInt()
            } else if key.matches("id") {
                id = try r.optionalString()
            } else if key.matches("function") {
                function = try r.readNullIfPresent() ? nil : try Function(reader: &r)
            } else {
                try r.skipValue()
            }
        }
    }
}

extension UpstreamChunk.Choice.ToolCallDelta.Function {
    init(reader: inout JSONReader) throws(JSONReaderError) {
        try reader.readObject { r, key throws(JSONReaderError) in
            if key.matches("name") {
                name = try r.optionalString()
            } else if key.matches("arguments") {
                arguments = try r.optionalString()
            } else {
                try r.skipValue()
            }
        }
    }
}

extension UpstreamChunk.Usage {
    init(reader: inout JSONReader) throws(JSONReaderError) {
        try reader.readObject { r, key throws(JSONReaderError) in
            if key.matches("prompt_tokens") {
                promptTokens = try r.optionalInt()
            } else if key.matches("completion_tokens") {
                completionTokens = try r.optionalInt()
            } else if key.matches("total_tokens") {
                totalTokens = try r.optionalInt()
            } else if key.matches("prompt_tokens_details") {
                if try !r.readNullIfPresent() {
                    var details = PromptDetails()
                    try r.readObject { r, key throws(JSONReaderError) in
                        if key.matches("cached_tokens") { details.cachedTokens = try r.optionalInt() } else { try r.skipValue() }
                    }
                    promptTokensDetails = details
                }
            } else if key.matches("completion_tokens_details") {
                if try !r.readNullIfPresent() {
                    var details = CompletionDetails()
                    try r.readObject { r, key throws(JSONReaderError) in
                        if key.matches("reasoning_tokens") {
                            details.reasoningTokens = try r.optionalInt()
                        } else {
                            try r.skipValue()
                        }
                    }
                    completionTokensDetails = details
                }
            } else {
                try r.skipValue()
            }
        }
    }
}

extension UpstreamChunk.ErrorBody {
    init(reader: inout JSONReader) throws(JSONReaderError) {
        try reader.readObject { r, key throws(JSONReaderError) in
            if key.matches("message") {
                message = try r.optionalString()
            } else if key.matches("type") {
                type = try r.optionalString()
            } else if key.matches("code") {
                switch try r.peekKind() {
                case .null: _ = try r.readNullIfPresent()
                case .string: code = UpstreamChunk.CodeValue(text: try r.readString())
                default: code = UpstreamChunk.CodeValue(text: String(try r.readInt()))
                }
            } else {
                try r.skipValue()
            }
        }
    }
}

extension JSONReader {
    mutating func optionalString() throws(JSONReaderError) -> String? {
        try readNullIfPresent() ? nil : try readString()
    }

    mutating func optionalInt() throws(JSONReaderError) -> Int? {
        try readNullIfPresent() ? nil : try readInt()
    }

    mutating func optionalArray<T>(_ element: (inout JSONReader) throws(JSONReaderError) -> T) throws(JSONReaderError) -> [T]? {
        if try readNullIfPresent() { return nil }
        var items: [T] = []
        try readArray { r throws(JSONReaderError) in items.append(try element(&r)) }
        return items
    }
}
