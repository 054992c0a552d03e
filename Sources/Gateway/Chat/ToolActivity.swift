import OpenAIWire

/// Agent tool activity in a chat-completions stream (`streamToolActivity`, off by default).
///
/// Each tool start and end is one SSE comment line, `: openclaw.tool <compact JSON>`, which
/// every conforming SSE client (the OpenAI SDKs, Open WebUI, LangChain) skips:
///
///     : openclaw.tool {"arguments":"{\"path\":\"a.txt\"}","call_id":"call_1","name":"read","phase":"start"}
///     : openclaw.tool {"call_id":"call_1","is_error":false,"name":"read","output_bytes":12,"phase":"end"}
///
/// Tool output itself is not sent (it can be large and is the model's business); its size is.
enum ToolActivity {
    static let prefix = "openclaw.tool "

    static func started(callId: String, name: String, arguments: String) -> String {
        let payload: JSONValue = .object([
            "phase": .string("start"), "call_id": .string(callId), "name": .string(name),
            "arguments": .string(String(arguments.prefix(2048))),
        ])
        return SSE.comment(prefix + payload.jsonString())
    }

    static func finished(callId: String, name: String, isError: Bool, output: String) -> String {
        let payload: JSONValue = .object([
            "phase": .string("end"), "call_id": .string(callId), "name": .string(name), "is_error": .bool(isError),
            "output_bytes": .number(Double(output.utf8.count)),
        ])
        return SSE.comment(prefix + payload.jsonString())
    }
}
