import Foundation

/// Server-sent events framing as OpenAI clients read it (M1): `data: <json>` + blank line.
public enum SSE {
    public static let done = "data: [DONE]\n\n"
    public static let ping = ": ping\n\n"

    /// One `data:` event holding compact JSON of `value`.
    public static func data(_ value: some Encodable) -> String {
        "data: " + JSONCoding.compactString(value) + "\n\n"
    }

    /// An SSE comment line (ignored by every conforming client).
    public static func comment(_ text: String) -> String {
        ": " + text.replacingOccurrences(of: "\n", with: " ") + "\n\n"
    }
}

/// Shared JSON coders: compact output, no escaped slashes.
public enum JSONCoding {
    public static func compactData(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return (try? encoder.encode(value)) ?? Data("null".utf8)
    }

    public static func compactString(_ value: some Encodable) -> String {
        String(decoding: compactData(value), as: UTF8.self)
    }
}

/// Incremental decoder of an SSE byte stream: feed bytes as they arrive, get the `data`
/// payload of each completed event. Handles `\n`, `\r\n` and `\r` line endings, comment lines,
/// multi-line data fields and events split across reads.
public struct SSEDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var dataLines: [String] = []
    private var lastWasCR = false

    public init() {}

    /// Consumes `bytes` and returns the data of every event completed by them.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [String] {
        var events: [String] = []
        for byte in bytes {
            if lastWasCR {
                lastWasCR = false
                if byte == 0x0A { continue }
            }
            if byte == 0x0A || byte == 0x0D {
                lastWasCR = byte == 0x0D
                if let event = endLine() { events.append(event) }
            } else {
                buffer.append(byte)
            }
        }
        return events
    }

    /// Flushes an event left open at end of stream.
    public mutating func finish() -> [String] {
        var events: [String] = []
        if !buffer.isEmpty, let event = endLine() { events.append(event) }
        if !dataLines.isEmpty {
            events.append(dataLines.joined(separator: "\n"))
            dataLines.removeAll()
        }
        return events
    }

    private mutating func endLine() -> String? {
        defer { buffer.removeAll(keepingCapacity: true) }
        if buffer.isEmpty {
            guard !dataLines.isEmpty else { return nil }
            let event = dataLines.joined(separator: "\n")
            dataLines.removeAll()
            return event
        }
        guard buffer.starts(with: Array("data".utf8)) else { return nil }
        var value = buffer.dropFirst(4)
        if value.first == UInt8(ascii: ":") {
            value = value.dropFirst()
            if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        } else if !value.isEmpty {
            return nil  // a field named e.g. `dataX`
        }
        dataLines.append(String(decoding: value, as: UTF8.self))
        return nil
    }
}
