import Foundation
import GRDB
import OpenAIWire

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

    struct Extra: Decodable {
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

    init(_ message: TranscriptMessage) {
        self.id = nil
        self.sessionId = ""
        self.entryId = message.entryId
        self.role = message.role.rawValue
        self.content = message.content
        self.extra = Self.extraJSON(message)
        self.createdAt = message.createdAt
    }

    /// The `extra` column: `Extra` as JSON (what `JSONEncoder` wrote before, read back with
    /// `JSONDecoder`), written directly — `JSONEncoder` cost ~2% of the gateway's CPU per answer,
    /// whose assistant message always has a model and usage. Nil when there is nothing to keep.
    static func extraJSON(_ m: TranscriptMessage) -> String? {
        var out = "{"
        var empty = true
        func key(_ name: String) {
            out += empty ? "\"" : ",\""
            out += name
            out += "\":"
            empty = false
        }
        if !m.toolCalls.isEmpty {
            key("toolCalls")
            out += "["
            for (i, call) in m.toolCalls.enumerated() {
                out += i == 0 ? #"{"id":"# : #",{"id":"#
                ChunkEncoder.appendQuoted(call.id, to: &out)
                out += #","name":"#
                ChunkEncoder.appendQuoted(call.name, to: &out)
                out += #","arguments":"#
                ChunkEncoder.appendQuoted(call.arguments, to: &out)
                out += "}"
            }
            out += "]"
        }
        func string(_ name: String, _ value: String?) {
            guard let value else { return }
            key(name)
            ChunkEncoder.appendQuoted(value, to: &out)
        }
        string("toolCallId", m.toolCallId)
        string("toolName", m.toolName)
        if m.isError {
            key("isError")
            out += "true"
        }
        string("model", m.model)
        if let u = m.usage {
            key("usage")
            out += #"{"inputTokens":\#(u.inputTokens),"outputTokens":\#(u.outputTokens),"totalTokens":\#(u.totalTokens)}"#
        }
        if empty { return nil }
        out += "}"
        return out
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
