import Foundation
import OpenAIWire

/// A `POST /v1/responses` body (Q2), translated into the chat-completions body the rest of the
/// gateway already validates and flattens (I1–I6, J, K, F6), so both endpoints share one path
/// into the agent run.
struct ResponsesInput: Sendable {
    /// The equivalent chat-completions body.
    var chatBody: JSONValue
    var previousResponseId: String?
    /// Text extracted from `input_file` items; goes to the extra system prompt (Q2).
    var fileText: [String]

    static let missingInput = "Missing user message in `input`."

    static func translate(_ value: JSONValue) throws(RequestValidationError) -> ResponsesInput {
        guard case .object(let body) = value else {
            throw RequestValidationError("Request body: Expected object, received \(value.typeName)")
        }
        var messages: [JSONValue] = []
        var fileText: [String] = []
        if let instructions = body["instructions"], !instructions.isNull {
            guard let text = instructions.stringValue else {
                throw RequestValidationError("instructions: Expected string, received \(instructions.typeName)")
            }
            messages.append(.object(["role": .string("system"), "content": .string(text)]))
        }
        switch body["input"] {
        case nil, .null?:
            throw RequestValidationError(missingInput)
        case .string(let text)?:
            messages.append(.object(["role": .string("user"), "content": .string(text)]))
        case .array(let items)?:
            for (index, item) in items.enumerated() {
                messages += try translateItem(item, index: index, fileText: &fileText)
            }
        case let other?:
            throw RequestValidationError("input: Expected string | array, received \(other.typeName)")
        }

        var chat: [String: JSONValue] = ["messages": .array(messages)]
        for key in ["model", "stream", "user", "temperature", "top_p"] {
            if let v = body[key] { chat[key] = v }
        }
        if let v = body["max_output_tokens"] { chat["max_tokens"] = v }
        if let tools = body["tools"], !tools.isNull {
            guard case .array(let list) = tools else {
                throw RequestValidationError("Invalid tools/tool_choice: tools must be an array")
            }
            chat["tools"] = .array(try list.map(translateTool))
        }
        if let choice = body["tool_choice"], !choice.isNull {
            chat["tool_choice"] = translateToolChoice(choice)
        }
        var previous: String?
        if let p = body["previous_response_id"], !p.isNull {
            guard let id = p.stringValue, !id.isEmpty else {
                throw RequestValidationError("previous_response_id: Expected a non-empty string")
            }
            previous = id
        }
        return ResponsesInput(chatBody: .object(chat), previousResponseId: previous, fileText: fileText)
    }

    /// One input item → zero or more chat messages.
    private static func translateItem(
        _ item: JSONValue, index: Int, fileText: inout [String]
    ) throws(RequestValidationError) -> [JSONValue] {
        guard case .object(let object) = item else {
            throw RequestValidationError("input.\(index): Expected object, received \(item.typeName)")
        }
        let type = object["type"]?.stringValue ?? (object["role"] != nil ? "message" : "")
        switch type {
        case "message":
            let role = object["role"]?.stringValue ?? "user"
            switch object["content"] {
            case .string(let text)?:
                return [.object(["role": .string(role), "content": .string(text)])]
            case .array(let parts)?:
                var chatParts: [JSONValue] = []
                for part in parts {
                    switch part["type"]?.stringValue {
                    case "input_text", "output_text", "text":
                        chatParts.append(
                            .object(["type": .string("text"), "text": .string(part["text"]?.stringValue ?? "")]))
                    case "input_image":
                        let url = part["image_url"]?.stringValue ?? part["image_url"]?["url"]?.stringValue ?? ""
                        chatParts.append(.object(["type": .string("image_url"), "image_url": .string(url)]))
                    case "input_file":
                        fileText.append(try fileContent(part))
                    default:
                        continue  // refusals, audio and other parts carry no prompt text here
                    }
                }
                return [.object(["role": .string(role), "content": .array(chatParts)])]
            default:
                return []
            }
        case "function_call":
            let call: JSONValue = .object([
                "id": .string(object["call_id"]?.stringValue ?? object["id"]?.stringValue ?? ""),
                "type": .string("function"),
                "function": .object([
                    "name": .string(object["name"]?.stringValue ?? ""),
                    "arguments": .string(object["arguments"]?.stringValue ?? "{}"),
                ]),
            ])
            return [.object(["role": .string("assistant"), "content": .string(""), "tool_calls": .array([call])])]
        case "function_call_output":
            let output: String
            switch object["output"] {
            case .string(let s)?: output = s
            case nil, .null?: output = ""
            case let other?: output = other.jsonString()
            }
            return [
                .object([
                    "role": .string("tool"), "tool_call_id": .string(object["call_id"]?.stringValue ?? ""),
                    "content": .string(output),
                ])
            ]
        case "reasoning", "item_reference":
            return []  // accepted and ignored (Q2)
        default:
            throw RequestValidationError("input.\(index).type: unsupported input item type '\(type)'")
        }
    }

    /// `input_file` with inline `file_data` (a data URL or base64) of a text type.
    private static func fileContent(_ part: JSONValue) throws(RequestValidationError) -> String {
        let name = part["filename"]?.stringValue ?? "file"
        guard let raw = part["file_data"]?.stringValue, !raw.isEmpty else {
            throw RequestValidationError("Invalid input_file: only inline file_data is supported.")
        }
        var payload = Substring(raw)
        var mime = "text/plain"
        if raw.hasPrefix("data:"), let comma = raw.firstIndex(of: ",") {
            mime = String(raw.dropFirst(5).prefix { $0 != ";" && $0 != "," }).lowercased()
            payload = raw[raw.index(after: comma)...]
        }
        guard mime.hasPrefix("text/") || mime == "application/json",
            let data = Data(base64Encoded: String(payload)), data.count <= 5 * 1024 * 1024,
            let text = String(data: data, encoding: .utf8)
        else {
            throw RequestValidationError("Invalid input_file: only base64 text files up to 5 MB are supported.")
        }
        return "[file \(name)]\n" + String(text.prefix(200_000))
    }

    /// Responses tool `{type:"function", name, description, parameters}` → chat form.
    private static func translateTool(_ tool: JSONValue) throws(RequestValidationError) -> JSONValue {
        guard case .object(let t) = tool else {
            throw RequestValidationError("Invalid tools/tool_choice: each tool must be an object")
        }
        guard t["type"]?.stringValue == "function" else {
            throw RequestValidationError("Invalid tools/tool_choice: only function tools are supported")
        }
        if t["function"] != nil { return tool }  // already in the chat form
        var function: [String: JSONValue] = [:]
        for key in ["name", "description", "parameters", "strict"] {
            if let v = t[key] { function[key] = v }
        }
        return .object(["type": .string("function"), "function": .object(function)])
    }

    private static func translateToolChoice(_ choice: JSONValue) -> JSONValue {
        guard case .object(let c) = choice, c["type"]?.stringValue == "function", let name = c["name"] else {
            return choice
        }
        return .object(["type": .string("function"), "function": .object(["name": name])])
    }
}
