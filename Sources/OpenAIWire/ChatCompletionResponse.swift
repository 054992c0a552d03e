/// Token usage in the OpenAI Chat Completions shape (L3).
public struct ChatUsage: Codable, Sendable, Hashable {
    public struct PromptDetails: Codable, Sendable, Hashable {
        public var cachedTokens: Int
        enum CodingKeys: String, CodingKey { case cachedTokens = "cached_tokens" }
    }
    public struct CompletionDetails: Codable, Sendable, Hashable {
        public var reasoningTokens: Int
        enum CodingKeys: String, CodingKey { case reasoningTokens = "reasoning_tokens" }
    }

    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int
    public var promptTokensDetails: PromptDetails?
    public var completionTokensDetails: CompletionDetails?

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case totalTokens = "total_tokens"
        case promptTokensDetails = "prompt_tokens_details"
        case completionTokensDetails = "completion_tokens_details"
    }

    public init(
        promptTokens: Int, completionTokens: Int, totalTokens: Int, cachedTokens: Int = 0, reasoningTokens: Int = 0
    ) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.totalTokens = totalTokens
        self.promptTokensDetails = cachedTokens > 0 ? PromptDetails(cachedTokens: cachedTokens) : nil
        self.completionTokensDetails = reasoningTokens > 0 ? CompletionDetails(reasoningTokens: reasoningTokens) : nil
    }
}

/// A function call the model asked the client to run (K3).
public struct ChatToolCall: Codable, Sendable, Hashable {
    public struct Function: Codable, Sendable, Hashable {
        public var name: String
        public var arguments: String
    }
    public var id: String
    public var type: String = "function"
    public var function: Function

    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.function = Function(name: name, arguments: arguments)
    }
}

/// The non-streaming `chat.completion` object (L1).
public struct ChatCompletion: Encodable, Sendable {
    public struct Message: Encodable, Sendable {
        public var role = "assistant"
        public var content: String
        public var toolCalls: [ChatToolCall]?
        enum CodingKeys: String, CodingKey {
            case role, content
            case toolCalls = "tool_calls"
        }
    }
    public struct Choice: Encodable, Sendable {
        public var index = 0
        public var message: Message
        public var finishReason: String
        enum CodingKeys: String, CodingKey {
            case index, message
            case finishReason = "finish_reason"
        }
    }

    public var id: String
    public var object = "chat.completion"
    public var created: Int
    public var model: String
    public var choices: [Choice]
    public var usage: ChatUsage

    public init(
        id: String, created: Int, model: String, content: String, toolCalls: [ChatToolCall]? = nil,
        finishReason: String, usage: ChatUsage
    ) {
        self.id = id
        self.created = created
        self.model = model
        self.choices = [
            Choice(message: Message(content: content, toolCalls: toolCalls), finishReason: finishReason)
        ]
        self.usage = usage
    }
}

/// One `chat.completion.chunk` of a stream (M2–M7).
public struct ChatCompletionChunk: Encodable, Sendable {
    public struct ToolCallDelta: Encodable, Sendable {
        public struct Function: Encodable, Sendable {
            public var name: String?
            public var arguments: String
        }
        public var index: Int
        public var id: String?
        public var type: String?
        public var function: Function
    }
    public struct Delta: Encodable, Sendable {
        public var role: String?
        public var content: String?
        public var toolCalls: [ToolCallDelta]?
        enum CodingKeys: String, CodingKey {
            case role, content
            case toolCalls = "tool_calls"
        }
    }
    public struct Choice: Encodable, Sendable {
        public var index = 0
        public var delta: Delta
        public var finishReason: String?

        enum CodingKeys: String, CodingKey {
            case index, delta
            case finishReason = "finish_reason"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index)
            try c.encode(delta, forKey: .delta)
            // OpenAI clients expect an explicit `finish_reason: null` on non-final chunks.
            try c.encode(finishReason, forKey: .finishReason)
        }
    }

    public var id: String
    public var object = "chat.completion.chunk"
    public var created: Int
    public var model: String
    public var choices: [Choice]
    public var usage: ChatUsage?

    public init(id: String, created: Int, model: String, choices: [Choice], usage: ChatUsage? = nil) {
        self.id = id
        self.created = created
        self.model = model
        self.choices = choices
        self.usage = usage
    }

    public static func role(id: String, created: Int, model: String) -> Self {
        Self(id: id, created: created, model: model, choices: [Choice(delta: Delta(role: "assistant"))])
    }

    public static func content(_ text: String, id: String, created: Int, model: String) -> Self {
        Self(id: id, created: created, model: model, choices: [Choice(delta: Delta(content: text))])
    }

    public static func finish(_ reason: String, id: String, created: Int, model: String) -> Self {
        Self(id: id, created: created, model: model, choices: [Choice(delta: Delta(), finishReason: reason)])
    }

    public static func usage(_ usage: ChatUsage, id: String, created: Int, model: String) -> Self {
        Self(id: id, created: created, model: model, choices: [], usage: usage)
    }
}

/// The OpenAI error envelope `{"error":{"message","type","code"?}}`.
public struct OpenAIErrorEnvelope: Codable, Sendable, Equatable {
    public struct Body: Codable, Sendable, Equatable {
        public var message: String
        public var type: String
        public var code: String?
    }
    public var error: Body

    public init(message: String, type: String, code: String? = nil) {
        self.error = Body(message: message, type: type, code: code)
    }
}
