import Foundation
import ModelProviders
import OpenAIWire
import SessionStore

/// A tool call that could not be carried out. Its message goes back to the model as the tool
/// result (flagged as an error), so the model can correct itself; the run goes on.
public struct ToolFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What a tool call produced.
public struct ToolOutput: Sendable, Equatable {
    public var text: String
    public var isError: Bool
    public init(_ text: String, isError: Bool = false) {
        self.text = text
        self.isError = isError
    }
}

/// What a tool may know about the run that calls it.
public struct ToolContext: Sendable {
    public var agentId: String
    public var sessionKey: String
    public var runId: String
    public var workspace: Workspace
    /// `provider/model` of the model call that asked for the tool.
    public var model: String
    /// Tokens used by the run so far.
    public var usage: ModelUsage
    public var store: any SessionStore
}

/// One of the agent's own tools (V5).
public protocol AgentTool: Sendable {
    var name: String { get }
    var description: String { get }
    /// JSON Schema of the arguments.
    var parameters: JSONValue { get }
    /// Owner-only tools are never offered to non-owner runs, and refuse to run for them (U1).
    var ownerOnly: Bool { get }
    /// Runs the call. Throw `ToolFailure` for a failure the model should see.
    func run(_ arguments: ToolArguments, context: ToolContext) async throws -> String
}

extension AgentTool {
    public var definition: ToolDefinition {
        ToolDefinition(name: name, description: description, parameters: parameters)
    }
}

/// A tool call's JSON arguments with typed, self-explaining accessors.
public struct ToolArguments: Sendable {
    public let values: [String: JSONValue]

    /// Parses the model's argument text; empty text means no arguments.
    public init(json: String) throws(ToolFailure) {
        let trimmed = json.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty {
            values = [:]
            return
        }
        guard let parsed = try? JSONValue.parse(Data(trimmed.utf8)) else {
            throw ToolFailure("arguments are not valid JSON")
        }
        guard case .object(let object) = parsed else { throw ToolFailure("arguments must be a JSON object") }
        values = object
    }

    public init(_ values: [String: JSONValue]) {
        self.values = values
    }

    public func string(_ key: String) throws(ToolFailure) -> String {
        guard let value = values[key], !value.isNull else { throw ToolFailure("missing required argument '\(key)'") }
        guard let text = value.stringValue else { throw ToolFailure("argument '\(key)' must be a string") }
        return text
    }

    public func optionalString(_ key: String) throws(ToolFailure) -> String? {
        guard let value = values[key], !value.isNull else { return nil }
        guard let text = value.stringValue else { throw ToolFailure("argument '\(key)' must be a string") }
        return text
    }

    public func optionalInt(_ key: String, in range: ClosedRange<Int>) throws(ToolFailure) -> Int? {
        guard let value = values[key], !value.isNull else { return nil }
        guard let number = value.doubleValue, number.rounded() == number, range.contains(Int(number)) else {
            throw ToolFailure("argument '\(key)' must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return Int(number)
    }
}

/// JSON Schema helpers for tool parameters.
enum Schema {
    static func object(_ properties: [String: JSONValue], required: [String] = []) -> JSONValue {
        .object([
            "type": .string("object"),
            "properties": .object(properties),
            "required": .array(required.map(JSONValue.string)),
            "additionalProperties": .bool(false),
        ])
    }

    static func string(_ description: String) -> JSONValue {
        .object(["type": .string("string"), "description": .string(description)])
    }

    static func integer(_ description: String) -> JSONValue {
        .object(["type": .string("integer"), "description": .string(description)])
    }
}
