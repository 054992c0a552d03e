/// One entry of a client-supplied conversation, already reduced to a sender label and text (I2, I4).
public struct ConversationEntry: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case user, assistant, tool
    }
    public var kind: Kind
    /// `User`, `Assistant`, `Tool:<tool_call_id>`, `Tool:<name>` or `Tool`.
    public var sender: String
    public var body: String

    public init(kind: Kind, sender: String, body: String) {
        self.kind = kind
        self.sender = sender
        self.body = body
    }
}

/// Flattens a conversation into the single prompt of one agent turn (I1, I5).
public enum ConversationPrompt {
    public static let historyMarker = "[Chat messages since your last reply - for context]"
    public static let currentMarker = "[Current message - respond to this]"

    /// The prompt for `entries`: just the current entry's body when there is no history,
    /// otherwise the history block and the current message under their markers.
    public static func build(_ entries: [ConversationEntry]) -> String {
        guard !entries.isEmpty else { return "" }
        // I5: the current entry is the last user-or-tool entry (else the last entry); later
        // entries, e.g. a trailing assistant message, are dropped.
        let currentIndex = entries.lastIndex { $0.kind != .assistant } ?? entries.count - 1
        let current = entries[currentIndex]
        let history = entries[..<currentIndex]
        if history.isEmpty { return current.body }
        var lines = [historyMarker]
        lines.append(contentsOf: history.map { "\($0.sender): \($0.body)" })
        lines.append("")
        lines.append(currentMarker)
        lines.append("\(current.sender): \(current.body)")
        return lines.joined(separator: "\n")
    }

    /// The index of the active turn (I5, J1), or nil for an empty conversation.
    public static func currentIndex(_ entries: [ConversationEntry]) -> Int? {
        guard !entries.isEmpty else { return nil }
        return entries.lastIndex { $0.kind != .assistant } ?? entries.count - 1
    }
}
