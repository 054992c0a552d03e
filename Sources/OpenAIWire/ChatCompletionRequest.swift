import Foundation

/// A validated `POST /v1/chat/completions` body (rules F3–F6).
///
/// `messages`, `tools` and `tool_choice` stay as raw JSON: their interpretation (prompt
/// flattening, client tools) belongs to the gateway and the agent runtime.
public struct ChatCompletionRequest: Sendable {
    public var model: String?
    public var stream: Bool
    public var includeUsage: Bool
    public var messages: [JSONValue]
    public var user: String?
    public var tools: [JSONValue]?
    public var toolChoice: JSONValue?
    public var sampling: SamplingParameters

    /// Parses and validates a request body. An empty or whitespace-only body counts as `{}` (F3).
    /// - Throws: `RequestValidationError` with the message the client sees in the 400 envelope.
    public static func parse(body: Data) throws(RequestValidationError) -> ChatCompletionRequest {
        let value: JSONValue
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            value = .object([:])
        } else {
            do {
                value = try JSONValue.parse(body)
            } catch {
                throw RequestValidationError(error.message)
            }
        }
        return try parse(value)
    }

    /// Validates an already parsed body (F5, F6).
    public static func parse(_ value: JSONValue) throws(RequestValidationError) -> ChatCompletionRequest {
        guard case .object(let body) = value else {
            throw RequestValidationError("Request body: Expected object, received \(value.typeName)")
        }
        let v = FieldValidator(body: body)
        let model = try v.optionalString("model")
        let stream = try v.optionalBool("stream") ?? false
        var includeUsage = false
        if let options = body["stream_options"], !options.isNull {
            guard case .object(let o) = options else {
                throw v.typeError("stream_options", expected: "object", got: options)
            }
            if let include = o["include_usage"] {
                guard case .bool(let b) = include else {
                    throw v.typeError("stream_options.include_usage", expected: "boolean", got: include)
                }
                includeUsage = b
            }
        }
        var messages: [JSONValue] = []
        if let m = body["messages"] {
            guard case .array(let a) = m else { throw v.typeError("messages", expected: "array", got: m) }
            messages = a
        }
        let user = try v.optionalString("user")
        var tools: [JSONValue]?
        if let t = body["tools"], !t.isNull {
            guard case .array(let a) = t else {
                throw RequestValidationError("Invalid tools/tool_choice: tools must be an array")
            }
            tools = a
        }
        let toolChoice = body["tool_choice"].flatMap { $0.isNull ? nil : $0 }

        var sampling = SamplingParameters()
        let maxTokens = try v.positiveInteger("max_tokens")
        let maxCompletionTokens = try v.positiveInteger("max_completion_tokens")
        sampling.maxTokens = maxCompletionTokens ?? maxTokens
        sampling.temperature = try v.number("temperature", range: 0...2, rangeText: "between 0 and 2")
        sampling.topP = try v.number("top_p", range: 0...1, rangeText: "between 0 and 1")
        sampling.frequencyPenalty = try v.number(
            "frequency_penalty", range: -2...2, rangeText: "between -2 and 2")
        sampling.presencePenalty = try v.number("presence_penalty", range: -2...2, rangeText: "between -2 and 2")
        if let seed = try v.number("seed", range: nil, rangeText: "") {
            guard seed.rounded() == seed, abs(seed) <= 9_007_199_254_740_991 else {
                throw RequestValidationError("`seed` must be an integer.")
            }
            sampling.seed = Int(seed)
        }
        sampling.stop = try parseStop(body["stop"], validator: v)
        sampling.responseFormat = try parseResponseFormat(body["response_format"])

        return ChatCompletionRequest(
            model: model, stream: stream, includeUsage: includeUsage, messages: messages, user: user,
            tools: tools, toolChoice: toolChoice, sampling: sampling)
    }

    private static func parseStop(
        _ value: JSONValue?, validator v: FieldValidator
    ) throws(RequestValidationError) -> [String]? {
        guard let value, !value.isNull else { return nil }
        let stops: [String]
        switch value {
        case .string(let s): stops = [s]
        case .array(let items):
            var collected: [String] = []
            for item in items {
                guard case .string(let s) = item else {
                    throw RequestValidationError("Invalid stop: each stop sequence must be a string.")
                }
                collected.append(s)
            }
            stops = collected
        default:
            throw v.typeError("stop", expected: "string | string[]", got: value)
        }
        guard stops.count <= 4 else {
            throw RequestValidationError("Invalid stop: at most 4 stop sequences are allowed.")
        }
        guard stops.allSatisfy({ !$0.isEmpty }) else {
            throw RequestValidationError("Invalid stop: stop sequences must be non-empty strings.")
        }
        return stops
    }

    private static func parseResponseFormat(_ value: JSONValue?) throws(RequestValidationError) -> JSONValue? {
        guard let value, !value.isNull else { return nil }
        guard case .object(let o) = value else {
            throw RequestValidationError("Invalid response_format: must be an object.")
        }
        guard let type = o["type"]?.stringValue, ["text", "json_object", "json_schema"].contains(type) else {
            throw RequestValidationError(
                "Invalid response_format: type must be one of text, json_object, json_schema.")
        }
        if type == "json_schema", o["json_schema"]?.objectValue == nil {
            throw RequestValidationError("Invalid response_format: json_schema requires a json_schema object.")
        }
        return value
    }
}

/// A request body that failed validation; `message` goes into the 400 envelope verbatim.
public struct RequestValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Field checks with zod-like messages (`<path>: Expected string, received number`).
struct FieldValidator {
    let body: [String: JSONValue]

    func typeError(_ path: String, expected: String, got: JSONValue) -> RequestValidationError {
        RequestValidationError("\(path): Expected \(expected), received \(got.typeName)")
    }

    func optionalString(_ key: String) throws(RequestValidationError) -> String? {
        guard let value = body[key] else { return nil }
        guard case .string(let s) = value else { throw typeError(key, expected: "string", got: value) }
        return s
    }

    func optionalBool(_ key: String) throws(RequestValidationError) -> Bool? {
        guard let value = body[key], !value.isNull else { return nil }
        guard case .bool(let b) = value else { throw typeError(key, expected: "boolean", got: value) }
        return b
    }

    func number(
        _ key: String, range: ClosedRange<Double>?, rangeText: String
    ) throws(RequestValidationError) -> Double? {
        guard let value = body[key], !value.isNull else { return nil }
        guard case .number(let n) = value, n.isFinite else { throw typeError(key, expected: "number", got: value) }
        if let range, !range.contains(n) {
            throw RequestValidationError("`\(key)` must be \(rangeText).")
        }
        return n
    }

    func positiveInteger(_ key: String) throws(RequestValidationError) -> Int? {
        guard let value = body[key], !value.isNull else { return nil }
        guard case .number(let n) = value else { throw typeError(key, expected: "number", got: value) }
        guard n.rounded() == n, n > 0, n <= 9_007_199_254_740_991 else {
            throw RequestValidationError("`\(key)` must be a positive integer.")
        }
        return Int(n)
    }
}
