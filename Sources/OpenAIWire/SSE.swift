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
///
/// Lines are found by scanning contiguous memory; only a line split across two reads is
/// copied into the carry-over buffer.
public struct SSEDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var dataLines: [String] = []
    private var lastWasCR = false

    public init() {}

    /// Consumes `bytes` and returns the data of every event completed by them.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [String] {
        var events: [String] = []
        let fed: Void? = bytes.withContiguousStorageIfAvailable { feed(UnsafeRawBufferPointer($0), into: &events) }
        if fed == nil {
            Array(bytes).withUnsafeBytes { feed($0, into: &events) }
        }
        return events
    }

    /// Flushes an event left open at end of stream.
    public mutating func finish() -> [String] {
        var events: [String] = []
        if !buffer.isEmpty {
            endBufferedLine(into: &events)
        }
        if !dataLines.isEmpty {
            events.append(takeEvent())
        }
        return events
    }

    private mutating func feed(_ bytes: UnsafeRawBufferPointer, into events: inout [String]) {
        let count = bytes.count
        var start = 0
        if lastWasCR, count > 0 {
            lastWasCR = false
            if bytes[0] == 0x0A { start = 1 }
        }
        while start < count {
            var end = start
            while end < count {
                let byte = bytes[end]
                if byte == 0x0A || byte == 0x0D { break }
                end += 1
            }
            if end == count {
                buffer.append(contentsOf: bytes[start..<count])
                return
            }
            if buffer.isEmpty {
                endLine(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), into: &events)
            } else {
                buffer.append(contentsOf: bytes[start..<end])
                endBufferedLine(into: &events)
            }
            if bytes[end] == 0x0D {
                if end + 1 < count {
                    if bytes[end + 1] == 0x0A { end += 1 }
                } else {
                    lastWasCR = true
                }
            }
            start = end + 1
        }
    }

    private mutating func endBufferedLine(into events: inout [String]) {
        let line = buffer
        buffer.removeAll(keepingCapacity: true)
        line.withUnsafeBytes { endLine($0, into: &events) }
    }

    private mutating func takeEvent() -> String {
        let event = dataLines.count == 1 ? dataLines[0] : dataLines.joined(separator: "\n")
        dataLines.removeAll(keepingCapacity: true)
        return event
    }

    private mutating func endLine(_ line: UnsafeRawBufferPointer, into events: inout [String]) {
        if line.isEmpty {
            if !dataLines.isEmpty { events.append(takeEvent()) }
            return
        }
        // "data" then ":" and an optional space, or exactly "data" (an empty value).
        guard line.count >= 4, line[0] == UInt8(ascii: "d"), line[1] == UInt8(ascii: "a"),
            line[2] == UInt8(ascii: "t"), line[3] == UInt8(ascii: "a")
        else { return }
        var valueStart = 4
        if line.count > 4 {
            guard line[4] == UInt8(ascii: ":") else { return }  // a field named e.g. `dataX`
            valueStart = 5
            if line.count > 5, line[5] == UInt8(ascii: " ") { valueStart = 6 }
        }
        dataLines.append(String(decoding: UnsafeRawBufferPointer(rebasing: line[valueStart...]), as: UTF8.self))
    }
}
