import Foundation
import SessionStore

/// A fresh directory under the system temp dir, removed after `body`.
func withTemporaryDatabase(_ body: (_ path: String) async throws -> Void) async throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("openclaw-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try await body(dir.appendingPathComponent("state.db").path)
}

/// A user prompt and an assistant reply, stored as one turn.
func simpleTurn(
    key: String, agent: String = "main", user: String, assistant: String,
    usage: StoredUsage = StoredUsage(inputTokens: 1, outputTokens: 1, totalTokens: 2)
) -> SessionTurn {
    SessionTurn(
        sessionKey: key, agentId: agent,
        messages: [
            TranscriptMessage(role: .user, content: user),
            TranscriptMessage(role: .assistant, content: assistant, model: "local/test", usage: usage),
        ],
        usage: usage)
}

/// Everything but `createdAt`, which the database keeps to the millisecond only.
struct MessageFields: Equatable {
    var entryId: String
    var role: TranscriptMessage.Role
    var content: String
    var toolCalls: [StoredToolCall]
    var toolCallId: String?
    var toolName: String?
    var isError: Bool
    var model: String?
    var usage: StoredUsage?

    init(_ m: TranscriptMessage) {
        entryId = m.entryId
        role = m.role
        content = m.content
        toolCalls = m.toolCalls
        toolCallId = m.toolCallId
        toolName = m.toolName
        isError = m.isError
        model = m.model
        usage = m.usage
    }
}
