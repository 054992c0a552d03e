/// A strict, allocation-light pull reader of one JSON document (RFC 8259) in contiguous bytes,
/// for the hot paths: request bodies and upstream stream chunks.
///
/// It accepts standard JSON plus what Foundation's `JSONDecoder` also accepts (a trailing comma
/// before `}` or `]`), and rejects comments, leading zeros, unpaired surrogates and more than
/// 512 levels of nesting with `JSONReaderError`, so callers that need Foundation's error
/// messages can fall back to `JSONDecoder` on failure. The bytes must stay valid while the reader is used: create it
/// inside `withUnsafeBytes` and never let it escape.
public struct JSONReader {
    public enum Kind: Sendable { case object, array, string, number, bool, null }

    private let bytes: UnsafeRawBufferPointer
    private var index = 0
    private var depth = 0
    static let maxDepth = 512

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// Reads a whole document from `bytes` with `body`, requiring that nothing but whitespace follows.
    public static func read<T>(
        _ bytes: UnsafeRawBufferPointer, _ body: (inout JSONReader) throws(JSONReaderError) -> T
    ) throws(JSONReaderError) -> T {
        var reader = JSONReader(bytes)
        let value = try body(&reader)
        try reader.end()
        return value
    }

    /// Reads a whole document from the UTF-8 of `text`.
    public static func read<T>(
        _ text: String, _ body: (inout JSONReader) throws(JSONReaderError) -> T
    ) throws(JSONReaderError) -> T {
        var text = text
        let result: Result<T, JSONReaderError> = text.withUTF8 { utf8 in
            do throws(JSONReaderError) {
                return .success(try read(UnsafeRawBufferPointer(utf8), body))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    // MARK: Inspecting

    /// The kind of the next value (whitespace skipped).
    public mutating func peekKind() throws(JSONReaderError) -> Kind {
        skipWhitespace()
        guard index < bytes.count else { throw error() }
        switch bytes[index] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: throw error()
        }
    }

    /// Consumes a `null` if one comes next; returns whether it did.
    public mutating func readNullIfPresent() throws(JSONReaderError) -> Bool {
        guard try peekKind() == .null else { return false }
        try expectLiteral("null")
        return true
    }

    /// Whitespace only until the end of the bytes.
    public mutating func end() throws(JSONReaderError) {
        skipWhitespace()
        guard index == bytes.count else { throw error() }
    }

    // MARK: Containers

    /// Calls `body` for each member of an object, with the reader positioned at its value; the
    /// body must consume that value (read it or `skipValue()`).
    public mutating func readObject(
        _ body: (inout JSONReader, JSONKey) throws(JSONReaderError) -> Void
    ) throws(JSONReaderError) {
        guard try peekKind() == .object else { throw error() }
        index += 1
        try enter()
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error() }
            let key = try readKey()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error() }
            index += 1
            try body(&self, key)
            skipWhitespace()
            guard index < bytes.count else { throw error() }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                skipWhitespace()
                // A trailing comma before `}` is accepted, as JSONDecoder does.
                guard index < bytes.count, bytes[index] == UInt8(ascii: "}") else { continue }
            }
            guard bytes[index] == UInt8(ascii: "}") else { throw error() }
            index += 1
            depth -= 1
            return
        }
    }

    /// Calls `body` for each element of an array; the body must consume the element.
    public mutating func readArray(_ body: (inout JSONReader) throws(JSONReaderError) -> Void) throws(JSONReaderError) {
        guard try peekKind() == .array else { throw error() }
        index += 1
        try enter()
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return
        }
        while true {
            try body(&self)
            skipWhitespace()
            guard index < bytes.count else { throw error() }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                skipWhitespace()
                // A trailing comma before `]` is accepted, as JSONDecoder does.
                guard index < bytes.count, bytes[index] == UInt8(ascii: "]") else { continue }
            }
            guard bytes[index] == UInt8(ascii: "]") else { throw error() }
            index += 1
            depth -= 1
            return
        }
    }

    // MARK: Scalars

    public mutating func readString() throws(JSONReaderError) -> String {
        guard try peekKind() == .string else { throw error() }
        let (start, end, escaped) = try scanString()
        let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        return escaped ? try unescape(raw) : String(decoding: raw, as: UTF8.self)
    }

    public mutating func readBool() throws(JSONReaderError) -> Bool {
        guard try peekKind() == .bool else { throw error() }
        if bytes[index] == UInt8(ascii: "t") {
            try expectLiteral("true")
            return true
        }
        try expectLiteral("false")
        return false
    }

    /// A number as a finite `Double` (a number too large for one is an error).
    public mutating func readDouble() throws(JSONReaderError) -> Double {
        guard try peekKind() == .number else { throw error() }
        let (start, end, _) = try scanNumber()
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw error(at: start) }
        return value
    }

    /// A number that is an integer (`3`, or `3.0`, `3e0`) fitting `Int`.
    public mutating func readInt() throws(JSONReaderError) -> Int {
        guard try peekKind() == .number else { throw error() }
        let (start, end, integral) = try scanNumber()
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        if integral, let value = Int(text) { return value }
        guard let value = Double(text), value.rounded() == value, let int = Int(exactly: value) else {
            throw error(at: start)
        }
        return int
    }

    /// Reads and discards the next value, checking its syntax.
    public mutating func skipValue() throws(JSONReaderError) {
        switch try peekKind() {
        case .object: try readObject { reader, _ throws(JSONReaderError) in try reader.skipValue() }
        case .array: try readArray { reader throws(JSONReaderError) in try reader.skipValue() }
        case .string: _ = try scanString()
        case .number: _ = try scanNumber()
        case .bool: _ = try readBool()
        case .null: try expectLiteral("null")
        }
    }

    /// The next value as a tree. Fails on a duplicate key, so that a caller falling back to
    /// Foundation keeps its handling of them.
    public mutating func readValue() throws(JSONReaderError) -> JSONValue {
        switch try peekKind() {
        case .object:
            var object: [String: JSONValue] = [:]
            let start = index
            try readObject { reader, key throws(JSONReaderError) in
                let name = try key.string()
                let value = try reader.readValue()
                if object.updateValue(value, forKey: name) != nil { throw reader.error(at: start) }
            }
            return .object(object)
        case .array:
            var array: [JSONValue] = []
            try readArray { reader throws(JSONReaderError) in array.append(try reader.readValue()) }
            return .array(array)
        case .string: return .string(try readString())
        case .number: return .number(try readDouble())
        case .bool: return .bool(try readBool())
        case .null:
            try expectLiteral("null")
            return .null
        }
    }

    // MARK: Scanning

    private func error(at offset: Int? = nil) -> JSONReaderError {
        JSONReaderError(offset: offset ?? index)
    }

    private mutating func enter() throws(JSONReaderError) {
        depth += 1
        guard depth <= Self.maxDepth else { throw error() }
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONReaderError) {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count else { throw error() }
        let base = literal.utf8Start
        for k in 0..<count where bytes[index + k] != base[k] { throw error() }
        index += count
    }

    private mutating func readKey() throws(JSONReaderError) -> JSONKey {
        let (start, end, escaped) = try scanString()
        let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        return escaped ? JSONKey(raw: nil, decoded: try unescape(raw)) : JSONKey(raw: raw, decoded: nil)
    }

    /// Scans a string starting at the opening quote; returns the content range and whether
    /// it holds escapes. Control characters must be escaped.
    private mutating func scanString() throws(JSONReaderError) -> (Int, Int, Bool) {
        index += 1
        let start = index
        var escaped = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let end = index
                index += 1
                return (start, end, escaped)
            }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                guard index + 1 < bytes.count else { throw error() }
                switch bytes[index + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 2
                case UInt8(ascii: "u"):
                    _ = try hex4(bytes, at: index + 2)
                    index += 6
                default:
                    throw error()
                }
                continue
            }
            guard byte >= 0x20 else { throw error() }
            index += 1
        }
        throw error()
    }

    /// Scans a number; returns its range and whether it is written as an integer.
    private mutating func scanNumber() throws(JSONReaderError) -> (Int, Int, Bool) {
        let start = index
        var integral = true
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { throw error() }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if isDigit(bytes[index]) {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        } else {
            throw error()
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            integral = false
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw error() }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            integral = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count, isDigit(bytes[index]) else { throw error() }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        return (start, index, integral)
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// Decodes the escapes of string content `raw` (already scanned).
    private func unescape(_ raw: UnsafeRawBufferPointer) throws(JSONReaderError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        while i < raw.count {
            let byte = raw[i]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                i += 1
                continue
            }
            guard i + 1 < raw.count else { throw error() }
            let escape = raw[i + 1]
            i += 2
            switch escape {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "/"): out.append(UInt8(ascii: "/"))
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4(raw, at: i)
                i += 4
                if (0xD800...0xDBFF).contains(scalar) {
                    guard i + 6 <= raw.count, raw[i] == UInt8(ascii: "\\"), raw[i + 1] == UInt8(ascii: "u") else {
                        throw error()
                    }
                    let low = try hex4(raw, at: i + 2)
                    guard (0xDC00...0xDFFF).contains(low) else { throw error() }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw error()
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw error() }
                out.append(contentsOf: UTF8.encode(unicode)!)
            default:
                throw error()
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private func hex4(_ raw: UnsafeRawBufferPointer, at i: Int) throws(JSONReaderError) -> UInt32 {
        guard i + 4 <= raw.count else { throw error() }
        var value: UInt32 = 0
        for k in 0..<4 {
            let byte = raw[i + k]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error()
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }
}

/// An object key as read: raw bytes when it has no escapes, else decoded.
public struct JSONKey {
    let raw: UnsafeRawBufferPointer?
    let decoded: String?

    /// Whether the key is exactly `name` (ASCII).
    public func matches(_ name: StaticString) -> Bool {
        if let raw {
            let count = name.utf8CodeUnitCount
            guard raw.count == count else { return false }
            let base = name.utf8Start
            for k in 0..<count where raw[k] != base[k] { return false }
            return true
        }
        return decoded! == String(describing: name)
    }

    public func string() throws(JSONReaderError) -> String {
        decoded ?? String(decoding: raw!, as: UTF8.self)
    }
}

/// Where a `JSONReader` found the bytes not to be (strict) JSON.
public struct JSONReaderError: Error, Sendable {
    public var offset: Int
}
