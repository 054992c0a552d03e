import Foundation
import GRDB

struct SessionRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "session"
    var id: String
    var key: String
    var agentId: String
    var createdAt: Date
    var updatedAt: Date
    var inputTokens: Int
    var outputTokens: Int
    var totalTokens: Int
}

/// A transcript row; fields other than role and text travel in the `extra` JSON column.
struct MessageRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "message"

    struct Extra: Codable {
        var toolCalls: [StoredToolCall]?
        var toolCallId: String?
        var toolName: String?
        var isError: Bool?
        var model: String?
        var usage: StoredUsage?
    }

    var id: Int64?
    var sessionId: String
    var entryId: String
    var role: String
    var content: String
    var extra: String?
    var createdAt: Date

    init(_ message: TranscriptMessage) throws {
        let extra = Extra(
            toolCalls: message.toolCalls.isEmpty ? nil : message.toolCalls, toolCallId: message.toolCallId,
            toolName: message.toolName, isError: message.isError ? true : nil, model: message.model,
            usage: message.usage)
        let data: Data
        if message.toolCalls.isEmpty, message.toolCallId == nil, message.toolName == nil, !message.isError,
            message.model == nil, message.usage == nil
        {
            data = Data()  // nothing to store (what encoding the empty `Extra` gives: `{}`)
        } else {
            data = try JSONEncoder().encode(extra)
        }
        self.id = nil
        self.sessionId = ""
        self.entryId = message.entryId
        self.role = message.role.rawValue
        self.content = message.content
        self.extra = data.count > 2 ? String(decoding: data, as: UTF8.self) : nil
        self.createdAt = message.createdAt
    }

    func message() throws -> TranscriptMessage {
        let extra = try extra.map { try JSONDecoder().decode(Extra.self, from: Data($0.utf8)) }
        return TranscriptMessage(
            entryId: entryId, role: TranscriptMessage.Role(rawValue: role) ?? .user, content: content,
            toolCalls: extra?.toolCalls ?? [], toolCallId: extra?.toolCallId, toolName: extra?.toolName,
            isError: extra?.isError ?? false, model: extra?.model, usage: extra?.usage, createdAt: createdAt)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}
