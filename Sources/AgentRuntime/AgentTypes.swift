import Foundation
import ModelProviders
import OpenAIWire

/// One agent turn, as every face (HTTP, WebSocket, CLI) hands it to the runtime.
public struct AgentRequest: Sendable {
    public var runId: String
    public var agentId: String
    public var sessionKey: String
    /// The user turn's text (already flattened by the face, I5).
    public var message: String
    public var images: [ImageInput]
    /// Client system/developer text (I3).
    public var extraSystemPrompt: String?
    /// Message channel (H5), `webchat` for HTTP.
    public var channel: String
    /// Explicit owner flag from the caller (D-1); nil applies the agent's default.
    public var senderIsOwner: Bool?
    public var sampling: SamplingParameters
    /// Function tools the client offers (K1); a call to one ends the run with `tool_calls`.
    public var clientTools: [ToolDefinition]
    public var toolChoice: ClientToolChoice
    /// Whether the caller renders text as it is generated. False when it only wants the finished
    /// result (a non-stream HTTP answer): the provider may then answer in one piece.
    public var streamsText: Bool

    public init(
        runId: String = "run_" + UUID().uuidString.lowercased(), agentId: String, sessionKey: String, message: String,
        images: [ImageInput] = [], extraSystemPrompt: String? = nil, channel: String = "webchat",
        senderIsOwner: Bool? = nil, sampling: SamplingParameters = SamplingParameters(),
        clientTools: [ToolDefinition] = [], toolChoice: ClientToolChoice = .auto, streamsText: Bool = true
    ) {
        self.runId = runId
        self.agentId = agentId
        self.sessionKey = sessionKey
        self.message = message
        self.images = images
        self.extraSystemPrompt = extraSystemPrompt
        self.channel = channel
        self.senderIsOwner = senderIsOwner
        self.sampling = sampling
        self.clientTools = clientTools
        self.toolChoice = toolChoice
        self.streamsText = streamsText
    }
}

/// The client's `tool_choice` (K2).
public enum ClientToolChoice: Sendable, Equatable {
    /// No constraint.
    case auto
    /// Client tools are not offered.
    case none
    /// At least one client tool must be called.
    case required
    /// Only this client tool is offered, and it must be called.
    case function(String)

    var isConstraint: Bool {
        switch self {
        case .required, .function: true
        case .auto, .none: false
        }
    }
}

/// What a run reports while it runs (O4): lifecycle, assistant text, model changes.
public enum AgentEvent: Sendable, Equatable {
    /// The run holds its session lane and is about to call `model`.
    case started(runId: String, model: String)
    /// New assistant text; `text` is everything so far. `batched`: more text that arrived
    /// with it follows at once, and a `flush` after that (see `ModelStreamEvent`): a face may
    /// hold it and write it with the rest, in one write.
    case assistantDelta(delta: String, text: String, batched: Bool = false)
    /// The batched deltas reported so far are complete: write what is held.
    case flush
    /// `from` failed with a retryable error before streaming; `to` is tried next (V1).
    case modelFallback(from: String, to: String, reason: String)
    /// The runtime is about to execute one of the agent's tools.
    case toolStarted(callId: String, name: String, arguments: String)
    /// A tool call finished; `output` is what the model gets back.
    case toolFinished(callId: String, name: String, isError: Bool, output: String)
}

/// A finished run.
public struct AgentResult: Sendable, Equatable {
    public var runId: String
    public var text: String
    public var usage: ModelUsage
    /// `provider/model` that produced the answer.
    public var model: String
    /// `stop`, `length`, or `tool_calls` when the run ends with calls for the client (K3).
    public var finishReason: String
    public var sessionId: String?
    /// Calls of client tools the client must answer (K3); empty otherwise.
    public var toolCalls: [ToolCall] = []
    /// Model calls the run made.
    public var modelCalls: Int = 1
}

/// A run that could not start or finish for a reason of the runtime's own.
public struct AgentError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable {
        case unknownAgent, invalidModel, timeout
        /// `tool_choice` required a client tool call and the model made none (K2).
        case toolChoiceUnmet
    }
    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
