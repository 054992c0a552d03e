import OpenAIWire

/// Shape checks of client function tools (K1, K2). Offering them to the model is the agent
/// runtime's job (issue: agent runtime in depth); here a malformed request is refused early.
enum ClientTools {
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
