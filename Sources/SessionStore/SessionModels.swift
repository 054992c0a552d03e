import Foundation

/// Token counters kept per session and per assistant message (S1).
public struct StoredUsage: Sendable, Equatable, Codable {
    public var inputTokens: Int
    public var outputTokens: Int
    public var totalTokens: Int

    public init(inputTokens: Int = 0, outputTokens: Int = 0, totalTokens: Int = 0) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.totalTokens = totalTokens
    }
}

/// A tool call made by the assistant, as stored in the transcript.
public struct StoredToolCall: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var arguments: String

    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

/// One transcript entry (S2 `message`): a user prompt, an assistant reply or a tool result.
public struct TranscriptMessage: Sendable, Equatable, Codable {
    public enum Role: String, Sendable, Codable {
        case user, assistant
        case toolResult
    }

    public var entryId: String
    public var role: Role
    public var content: String
    public var toolCalls: [StoredToolCall]
    public var toolCallId: String?
    public var toolName: String?
    public var isError: Bool
    /// `provider/model` that produced an assistant message.
    public var model: String?
    public var usage: StoredUsage?
    public var createdAt: Date

    public init(
        entryId: String = RandomID.uuidString(), role: Role, content: String,
        toolCalls: [StoredToolCall] = [], toolCallId: String? = nil, toolName: String? = nil,
        isError: Bool = false, model: String? = nil, usage: StoredUsage? = nil, createdAt: Date = Date()
    ) {
        self.entryId = entryId
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallId = toolCallId
        self.toolName = toolName
        self.isError = isError
        self.model = model
        self.usage = usage
        self.createdAt = createdAt
    }
}

/// A completed agent turn: every entry it produced, stored together or not at all.
public struct SessionTurn: Sendable {
    public var sessionKey: String
    public var agentId: String
    public var messages: [TranscriptMessage]
    public var usage: StoredUsage

    public init(sessionKey: String, agentId: String, messages: [TranscriptMessage], usage: StoredUsage) {
        self.sessionKey = sessionKey
        self.agentId = agentId
        self.messages = messages
        self.usage = usage
    }
}

/// A session as listed by `sessions.list` / `openclaw sessions list`.
public struct SessionSummary: Sendable, Equatable {
    public var key: String
    public var sessionId: String
    public var agentId: String
    public var createdAt: Date
    public var updatedAt: Date
    public var usage: StoredUsage
    public var messageCount: Int
}

/// Sessions and transcripts (D-8). Implementations must make `appendTurn` atomic and durable.
public protocol SessionStore: Sendable {
    /// The last `limit` messages of the session's current transcript, oldest first.
    func history(sessionKey: String, limit: Int) async throws -> [TranscriptMessage]
    /// Appends a whole turn in one transaction, creating the session on first use.
    @discardableResult
    func appendTurn(_ turn: SessionTurn) async throws -> SessionSummary
    /// The session a key points to, if any.
    func session(key: String) async throws -> SessionSummary?
    /// Sessions, most recently updated first.
    func sessions(limit: Int) async throws -> [SessionSummary]
    /// Points `key` at a fresh, empty session (S2 `/reset`). Returns false if the key was unknown.
    func reset(key: String) async throws -> Bool
}
