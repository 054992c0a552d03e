import Foundation

/// An arbitrary JSON value, used where the wire format is open-ended (request validation,
/// tool arguments, `response_format`) and for the JSON5 config tree.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The name of this value's JSON type, as validators report it ("received number").
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var doubleValue: Double? {
        if case .number(let n) = self { return n }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }

    public subscript(index: Int) -> JSONValue? {
        guard let array = arrayValue, array.indices.contains(index) else { return nil }
        return array[index]
    }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? container.decode(Double.self) {
            self = .number(n)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let a = try? container.decode([JSONValue].self) {
            self = .array(a)
        } else if let o = try? container.decode([String: JSONValue].self) {
            self = .object(o)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "Unsupported JSON value")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .number(let n):
            if n.rounded() == n, abs(n) < 9.007_199_254_740_992e15 {
                try container.encode(Int64(n))
            } else {
                try container.encode(n)
            }
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        }
    }
}

extension JSONValue {
    /// Parses JSON (or JSON5 when `json5` is set) into a value tree.
    /// - Throws: `JSONParseError` carrying the parser's own message.
    public static func parse(_ data: Data, json5: Bool = false) throws(JSONParseError) -> JSONValue {
        if !json5, let value = fastParse(data) { return value }
        let decoder = JSONDecoder()
        decoder.allowsJSON5 = json5
        do {
            return try decoder.decode(JSONValue.self, from: data)
        } catch let error as DecodingError {
            throw JSONParseError(message: Self.describe(error))
        } catch {
            throw JSONParseError(message: "\(error)")
        }
    }

    /// Strict JSON in valid UTF-8 without duplicate keys, read by `JSONReader`; nil for
    /// anything else, which `JSONDecoder` then handles (and describes, if it is an error).
    static func fastParse(_ data: Data) -> JSONValue? {
        data.withUnsafeBytes { bytes -> JSONValue? in
            if bytes.contains(where: { $0 >= 0x80 }), String(validating: bytes, as: UTF8.self) == nil { return nil }
            return try? JSONReader.read(bytes) { reader throws(JSONReaderError) in try reader.readValue() }
        }
    }

    /// Compact JSON text of this value, keys sorted (as `JSONCoding` writes it).
    public func jsonString() -> String {
        var out = ""
        appendJSON(to: &out)
        return out
    }

    /// Appends compact JSON of this value with sorted keys, written directly rather than
    /// through `JSONEncoder` (request bodies and tool schemas are on the hot path). Integral
    /// numbers are written as integers, as `encode(to:)` does; a non-finite number, which JSON
    /// cannot hold, becomes `null`.
    public func appendJSON(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n):
            if n.rounded() == n, abs(n) < 9.007_199_254_740_992e15 {
                out += String(Int64(n))
            } else if n.isFinite {
                out += String(n)
            } else {
                out += "null"
            }
        case .string(let s): ChunkEncoder.appendQuoted(s, to: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.appendJSON(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, key) in members.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                ChunkEncoder.appendQuoted(key, to: &out)
                out += ":"
                members[key]!.appendJSON(to: &out)
            }
            out += "}"
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context):
            if let underlying = context.underlyingError {
                let text = String(describing: underlying)
                return Self.cleanParserMessage(text)
            }
            return context.debugDescription
        default:
            return "The given data was not valid JSON."
        }
    }

    private static func cleanParserMessage(_ text: String) -> String {
        // Foundation's JSON errors read like `Unexpected character 'x' around line 1, column 2.`;
        // some builds wrap them in a type name. Keep the human part only.
        if let open = text.firstIndex(of: "\""), let close = text.lastIndex(of: "\""), open < close,
            text.hasPrefix("JSONError") || text.hasPrefix("Error")
        {
            return String(text[text.index(after: open)..<close])
        }
        return text
    }
}

/// A JSON document that could not be parsed; `message` is the parser's description.
public struct JSONParseError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}
