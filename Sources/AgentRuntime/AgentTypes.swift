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

    public init(
        runId: String = "run_" + UUID().uuidString.lowercased(), agentId: String, sessionKey: String, message: String,
        images: [ImageInput] = [], extraSystemPrompt: String? = nil, channel: String = "webchat",
        senderIsOwner: Bool? = nil, sampling: SamplingParameters = SamplingParameters()
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
    }
}

/// What a run reports while it runs (O4): lifecycle, assistant text, model changes.
public enum AgentEvent: Sendable, Equatable {
    /// The run holds its session lane and is about to call `model`.
    case started(runId: String, model: String)
    /// New assistant text; `text` is everything so far.
    case assistantDelta(delta: String, text: String)
    /// `from` failed with a retryable error before streaming; `to` is tried next (V1).
    case modelFallback(from: String, to: String, reason: String)
}

/// A finished run.
public struct AgentResult: Sendable, Equatable {
    public var runId: String
    public var text: String
    public var usage: ModelUsage
    /// `provider/model` that produced the answer.
    public var model: String
    public var finishReason: String
    public var sessionId: String?
}

/// A run that could not start or finish for a reason of the runtime's own.
public struct AgentError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable {
        case unknownAgent, invalidModel, timeout
    }
    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
