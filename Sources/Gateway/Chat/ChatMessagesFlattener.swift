import AgentRuntime
import Foundation
import ModelProviders
import OpenAIWire

/// The agent turn extracted from an OpenAI `messages` array.
struct FlattenedConversation: Sendable {
    var prompt: String
    var extraSystemPrompt: String?
    var images: [ImageInput]
}

/// Turns `messages` into one prompt, the extra system prompt and the active turn's images
/// (I1–I6, J1–J4).
enum ChatMessagesFlattener {
    static let imageOnlyBody = "User sent image(s) with no text."
    static let invalidImage = "Invalid image_url content in `messages`."
    static let missingUserMessage = "Missing user message in `messages`."

    private struct RawEntry {
        var entry: ConversationEntry
        var imageParts: [JSONValue]
        var keepWhenEmpty: Bool
    }

    static func flatten(
        _ messages: [JSONValue], imageLimits: ImageLimits = ImageLimits()
    ) throws(RequestValidationError) -> FlattenedConversation {
        var systemParts: [String] = []
        var raw: [RawEntry] = []
        for message in messages {
            guard case .object(let m) = message else { continue }
            var role = String((m["role"]?.stringValue ?? "").trimmingWhitespaceAndNewlines)
            if role == "function" { role = "tool" }
            let text = extractText(m["content"])
            switch role {
            case "system", "developer":
                if !text.isEmpty { systemParts.append(text) }
            case "user":
                let parts = m["content"]?.arrayValue?.filter { $0["type"]?.stringValue == "image_url" } ?? []
                raw.append(
                    RawEntry(entry: .init(kind: .user, sender: "User", body: text), imageParts: parts, keepWhenEmpty: false))
            case "assistant":
                var body = text
                let calls = renderToolCalls(m["tool_calls"])
                if !calls.isEmpty { body = ([body].filter { !$0.isEmpty } + calls).joined(separator: "\n") }
                raw.append(
                    RawEntry(entry: .init(kind: .assistant, sender: "Assistant", body: body), imageParts: [], keepWhenEmpty: false))
            case "tool":
                let callId = m["tool_call_id"]?.stringValue?.trimmingCharacters(in: .whitespaces) ?? ""
                let name = m["name"]?.stringValue?.trimmingCharacters(in: .whitespaces) ?? ""
                let sender = !callId.isEmpty ? "Tool:\(callId)" : (!name.isEmpty ? "Tool:\(name)" : "Tool")
                let content = m["content"]
                let contentIsStringOrNull = content == nil || content!.isNull || content!.stringValue != nil
                let keep = !callId.isEmpty || (!name.isEmpty && contentIsStringOrNull)
                raw.append(RawEntry(entry: .init(kind: .tool, sender: sender, body: text), imageParts: [], keepWhenEmpty: keep))
            default:
                continue
            }
        }

        func counts(_ r: RawEntry) -> Bool {
            !r.entry.body.isEmpty || r.keepWhenEmpty || (r.entry.kind == .user && !r.imageParts.isEmpty)
        }
        // The active turn (I5, J1): last user-or-tool entry that counts, else the last entry.
        let currentIndex =
            raw.indices.last { raw[$0].entry.kind != .assistant && counts(raw[$0]) }
            ?? raw.indices.last { counts(raw[$0]) }

        var entries: [ConversationEntry] = []
        var images: [ImageInput] = []
        if let currentIndex {
            for r in raw[..<currentIndex] where !r.entry.body.isEmpty || r.keepWhenEmpty {
                entries.append(r.entry)
            }
            var current = raw[currentIndex]
            if current.entry.kind == .user, !current.imageParts.isEmpty {
                images = try parseImages(current.imageParts, limits: imageLimits)
                if current.entry.body.isEmpty { current.entry.body = imageOnlyBody }
            }
            entries.append(current.entry)
        }
        let prompt = ConversationPrompt.build(entries)
        if prompt.isEmpty && images.isEmpty {
            throw RequestValidationError(missingUserMessage)
        }
        return FlattenedConversation(
            prompt: prompt, extraSystemPrompt: systemParts.isEmpty ? nil : systemParts.joined(separator: "\n\n"),
            images: images)
    }

    /// I2: a string as-is; an array → the `text` of `text`/`input_text` parts plus any string
    /// `input_text` field, joined with newlines; trimmed.
    static func extractText(_ content: JSONValue?) -> String {
        switch content {
        case .string(let s):
            return String(s.trimmingWhitespaceAndNewlines)
        case .array(let parts):
            var texts: [String] = []
            for part in parts {
                guard case .object(let p) = part else { continue }
                let type = p["type"]?.stringValue
                if type == "text" || type == "input_text", let t = p["text"]?.stringValue { texts.append(t) }
                if let t = p["input_text"]?.stringValue { texts.append(t) }
            }
            return String(texts.joined(separator: "\n").trimmingWhitespaceAndNewlines)
        default:
            return ""
        }
    }

    /// I4: `tool_call id=<id> name=<name> arguments=<json>` per call with an id and a name.
    static func renderToolCalls(_ value: JSONValue?) -> [String] {
        guard case .array(let calls) = value else { return [] }
        return calls.compactMap { call in
            guard let id = call["id"]?.stringValue, !id.isEmpty,
                let function = call["function"], let name = function["name"]?.stringValue, !name.isEmpty
            else { return nil }
            let arguments: String
            switch function["arguments"] {
            case .string(let s): arguments = s
            case nil, .null?: arguments = "{}"
            case let other?: arguments = other.jsonString()
            }
            return "tool_call id=\(id) name=\(name) arguments=\(arguments)"
        }
    }
}
