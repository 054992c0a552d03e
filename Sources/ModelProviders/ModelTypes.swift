import OpenAIWire

/// `provider/model` (V1). The model part may itself contain slashes (`openrouter/meta/llama`).
public struct ModelRef: Hashable, Sendable, CustomStringConvertible {
    public var provider: String
    public var model: String

    public init(provider: String, model: String) {
        self.provider = provider
        self.model = model
    }

    public init?(parsing text: String) {
        guard let slash = text.firstIndex(of: "/") else { return nil }
        let provider = String(text[..<slash])
        let model = String(text[text.index(after: slash)...])
        guard !provider.isEmpty, !model.isEmpty else { return nil }
        self.init(provider: provider, model: model)
    }

    public var description: String { "\(provider)/\(model)" }
}

/// An image attached to a user message (J4).
public struct ImageInput: Sendable, Equatable {
    public var mimeType: String
    public var base64Data: String
    public init(mimeType: String, base64Data: String) {
        self.mimeType = mimeType
        self.base64Data = base64Data
    }
}

/// A tool call requested by the model.
public struct ToolCall: Sendable, Equatable {
    public var id: String
    public var name: String
    /// JSON text, as the model produced it.
    public var arguments: String
    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

/// A tool offered to the model.
public struct ToolDefinition: Sendable, Equatable {
    public let name: String
    public let description: String
    /// JSON Schema of the arguments.
    public let parameters: JSONValue
    /// `{"description":…,"name":…,"parameters":…}`: the OpenAI `function` object, written once
    /// (a run offers the same tools on every model call).
    public let functionJSON: String

    public init(name: String, description: String, parameters: JSONValue) {
        self.name = name
        self.description = description
        self.parameters = parameters
        var json = #"{"description":"#
        ChunkEncoder.appendQuoted(description, to: &json)
        json += #","name":"#
        ChunkEncoder.appendQuoted(name, to: &json)
        json += #","parameters":"#
        parameters.appendJSON(to: &json)
        json += "}"
        self.functionJSON = json
    }
}

/// One message of the conversation sent to a provider, in provider-neutral form.
public struct ChatMessage: Sendable, Equatable {
    public enum Role: String, Sendable {
        case system, user, assistant, tool
    }
    public var role: Role
    public var content: String
    public var images: [ImageInput]
    public var toolCalls: [ToolCall]
    public var toolCallId: String?

    public init(
        role: Role, content: String, images: [ImageInput] = [], toolCalls: [ToolCall] = [], toolCallId: String? = nil
    ) {
        self.role = role
        self.content = content
        self.images = images
        self.toolCalls = toolCalls
        self.toolCallId = toolCallId
    }
}

/// One model call.
public struct ModelRequest: Sendable {
    /// The provider's own model id (the part after `provider/`).
    public var model: String
    public var messages: [ChatMessage]
    public var tools: [ToolDefinition]
    public var toolChoice: JSONValue?
    public var sampling: SamplingParameters
    /// Whether text deltas are wanted as they are generated. When false nobody is listening to
    /// them, and a provider may make one non-streamed call instead (cheaper on both ends).
    public var stream: Bool

    public init(
        model: String, messages: [ChatMessage], tools: [ToolDefinition] = [], toolChoice: JSONValue? = nil,
        sampling: SamplingParameters = SamplingParameters(), stream: Bool = true
    ) {
        self.model = model
        self.messages = messages
        self.tools = tools
        self.toolChoice = toolChoice
        self.sampling = sampling
        self.stream = stream
    }
}

/// Token counts as a provider reports them.
public struct ModelUsage: Sendable, Equatable {
    public var inputTokens: Int
    public var outputTokens: Int
    public var cacheReadTokens: Int
    public var reasoningTokens: Int
    /// The provider's own total, when it sends one.
    public var totalTokens: Int

    public init(
        inputTokens: Int = 0, outputTokens: Int = 0, cacheReadTokens: Int = 0, reasoningTokens: Int = 0,
        totalTokens: Int = 0
    ) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cacheReadTokens = cacheReadTokens
        self.reasoningTokens = reasoningTokens
        self.totalTokens = totalTokens
    }

    public static func + (a: ModelUsage, b: ModelUsage) -> ModelUsage {
        ModelUsage(
            inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens,
            cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens,
            reasoningTokens: a.reasoningTokens + b.reasoningTokens, totalTokens: a.totalTokens + b.totalTokens)
    }

    /// L3: prompt = input + cache reads, completion = output, total = max(sum, provider total).
    public var chatUsage: ChatUsage {
        let prompt = inputTokens + cacheReadTokens
        return ChatUsage(
            promptTokens: prompt, completionTokens: outputTokens,
            totalTokens: max(prompt + outputTokens, totalTokens), cachedTokens: cacheReadTokens,
            reasoningTokens: reasoningTokens)
    }
}

/// What a provider reports while it streams.
public enum ModelStreamEvent: Sendable, Equatable {
    /// New assistant text. `batched`: it came in the same upstream read as the delta before
    /// it, so the consumer may hold it and write it with the next unbatched delta or at the
    /// next `flush`. The first delta of a read is never batched: it goes out at once.
    case textDelta(String, batched: Bool = false)
    /// The batched deltas so far are all there are for now: write what is held. A provider
    /// that reports a batched delta sends this before it waits for upstream bytes again, and
    /// before it returns.
    case flush
}

/// A finished model call.
public struct ModelResponse: Sendable, Equatable {
    public var text: String
    public var toolCalls: [ToolCall]
    public var usage: ModelUsage
    public var finishReason: String?

    public init(text: String, toolCalls: [ToolCall] = [], usage: ModelUsage = ModelUsage(), finishReason: String? = nil) {
        self.text = text
        self.toolCalls = toolCalls
        self.usage = usage
        self.finishReason = finishReason
    }
}

/// A model backend. `complete` streams events through `onEvent` as they arrive and returns the
/// whole answer. Cancelling the calling task cancels the upstream request.
public protocol ModelProvider: Sendable {
    var id: String { get }
    func complete(
        _ request: ModelRequest, onEvent: (ModelStreamEvent) async throws -> Void
    ) async throws -> ModelResponse
}
