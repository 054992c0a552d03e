import OpenAIWire

/// A bad value for a known config key: stops start-up (D-9).
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var value: String
    public var expected: String

    public init(path: String, value: String, expected: String) {
        self.path = path
        self.value = value
        self.expected = expected
    }

    public var description: String {
        "invalid config: \(path) = \(value) (expected \(expected))"
    }
}

/// Walks the JSON5 tree with its key path, so every error and warning can name where it is.
/// Keys an object reader never asked for are collected as unknown-key warnings.
struct ConfigNode {
    let value: JSONValue
    let path: String
    let sink: WarningSink

    func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func fail(_ expected: String) -> ConfigError {
        ConfigError(path: path, value: Self.render(value), expected: expected)
    }

    static func render(_ value: JSONValue) -> String {
        let text = value.jsonString()
        return text.count > 80 ? String(text.prefix(77)) + "..." : text
    }

    /// Reads this node as an object; `body` asks for keys, the rest are reported as unknown.
    func object(_ body: (inout ObjectReader) throws(ConfigError) -> Void) throws(ConfigError) {
        guard case .object(let fields) = value else { throw fail("an object") }
        var reader = ObjectReader(node: self, fields: fields)
        try body(&reader)
        for key in fields.keys.sorted() where !reader.seen.contains(key) {
            sink.add(child(key))
        }
    }

    func string() throws(ConfigError) -> String {
        guard case .string(let s) = value else { throw fail("a string") }
        return s
    }

    func bool() throws(ConfigError) -> Bool {
        guard case .bool(let b) = value else { throw fail("true or false") }
        return b
    }

    func int(_ range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard case .number(let n) = value, n.rounded() == n, n >= Double(range.lowerBound),
            n <= Double(range.upperBound)
        else { throw fail("an integer \(range.lowerBound)-\(range.upperBound)") }
        return Int(n)
    }

    func number(_ range: ClosedRange<Double>) throws(ConfigError) -> Double {
        guard case .number(let n) = value, range.contains(n) else {
            throw fail("a number \(range.lowerBound)-\(range.upperBound)")
        }
        return n
    }

    func enumeration<E: RawRepresentable & CaseIterable>(_: E.Type) throws(ConfigError) -> E
    where E.RawValue == String {
        let allowed = E.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " | ")
        guard case .string(let s) = value, let e = E(rawValue: s) else { throw fail("one of \(allowed)") }
        return e
    }

    func stringArray() throws(ConfigError) -> [String] {
        guard case .array(let items) = value else { throw fail("an array of strings") }
        var out: [String] = []
        for (i, item) in items.enumerated() {
            guard case .string(let s) = item else {
                throw ConfigNode(value: item, path: "\(path)[\(i)]", sink: sink).fail("a string")
            }
            out.append(s)
        }
        return out
    }

    func array() throws(ConfigError) -> [ConfigNode] {
        guard case .array(let items) = value else { throw fail("an array") }
        return items.enumerated().map { ConfigNode(value: $1, path: "\(path)[\($0)]", sink: sink) }
    }
}

/// Keyed access to one config object; remembers which keys were read.
struct ObjectReader {
    let node: ConfigNode
    let fields: [String: JSONValue]
    var seen: Set<String> = []

    init(node: ConfigNode, fields: [String: JSONValue]) {
        self.node = node
        self.fields = fields
    }

    /// The child node for `key`, or nil when absent or `null`.
    mutating func callAsFunction(_ key: String) -> ConfigNode? {
        seen.insert(key)
        guard let value = fields[key], !value.isNull else { return nil }
        return ConfigNode(value: value, path: node.child(key), sink: node.sink)
    }

    /// All keys, for maps such as `models.providers`.
    mutating func entries() -> [(String, ConfigNode)] {
        fields.keys.sorted().map { key in
            seen.insert(key)
            return (key, ConfigNode(value: fields[key]!, path: node.child(key), sink: node.sink))
        }
    }
}

/// Collects unknown-key paths in the order found.
final class WarningSink {
    private(set) var unknownKeys: [String] = []
    func add(_ path: String) { unknownKeys.append(path) }
}
