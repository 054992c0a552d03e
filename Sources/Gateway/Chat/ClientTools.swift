import AgentRuntime
import ModelProviders
import OpenAIWire

/// Client function tools (K1, K2): shape checks (a malformed request is refused before any
/// run) and conversion into what the runtime offers the model.
enum ClientTools {
    /// Validates, then converts `tools` / `tool_choice`.
    static func resolve(
        tools: [JSONValue]?, toolChoice: JSONValue?
    ) throws(RequestValidationError) -> (tools: [ToolDefinition], choice: ClientToolChoice) {
        try validate(tools: tools, toolChoice: toolChoice)
        let definitions = (tools ?? []).compactMap { tool -> ToolDefinition? in
            guard let function = tool["function"], let name = function["name"]?.stringValue else { return nil }
            let parameters = function["parameters"].flatMap { $0.isNull ? nil : $0 }
                ?? .object(["type": .string("object"), "properties": .object([:])])
            return ToolDefinition(
                name: name, description: function["description"]?.stringValue ?? "", parameters: parameters)
        }
        let choice: ClientToolChoice
        switch toolChoice {
        case .string("none")?: choice = .none
        case .string("required")?: choice = definitions.isEmpty ? .auto : .required
        case .object(let object)?: choice = .function(object["function"]?["name"]?.stringValue ?? "")
        default: choice = .auto
        }
        return (definitions, choice)
    }

    static func validate(tools: [JSONValue]?, toolChoice: JSONValue?) throws(RequestValidationError) {
        func fail(_ reason: String) -> RequestValidationError {
            RequestValidationError("Invalid tools/tool_choice: \(reason)")
        }
        var names: Set<String> = []
        for tool in tools ?? [] {
            guard case .object(let t) = tool else { throw fail("each tool must be an object") }
            guard t["type"]?.stringValue == "function" else { throw fail("only function tools are supported") }
            guard case .object(let function)? = t["function"] else { throw fail("tool.function is required") }
            guard let name = function["name"]?.stringValue, !name.isEmpty else {
                throw fail("tool.function.name is required")
            }
            names.insert(name)
        }
        switch toolChoice {
        case nil, .string("auto")?, .string("none")?, .string("required")?:
            return
        case .object(let choice)?:
            guard choice["type"]?.stringValue == "function" else {
                throw fail("unsupported tool_choice type")
            }
            guard let name = choice["function"]?["name"]?.stringValue, names.contains(name) else {
                throw fail("tool_choice names an unknown tool")
            }
        default:
            throw fail("unsupported tool_choice")
        }
    }
}
