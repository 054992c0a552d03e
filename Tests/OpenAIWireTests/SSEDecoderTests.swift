import OpenAIWire
import Testing

/// M1: incremental decoding of `data:` events, as the gateway reads upstream streams.
@Suite struct SSEDecoderTests {
    /// Decodes `text` fed in `chunks`, then flushes.
    private func decode(_ chunks: [[UInt8]]) -> [String] {
        var decoder = SSEDecoder()
        var events: [String] = []
        for chunk in chunks { events += decoder.feed(chunk) }
        events += decoder.finish()
        return events
    }

    private func stream(_ lineEnding: String) -> String {
        [
            ": keep-alive comment",
            "data: {\"a\":1}",
            "",
            "event: message",
            "id: 7",
            "data: {\"b\":\"é ✓\"}",
            "",
            "data: line one",
            "data: line two",
            "",
            "data: [DONE]",
            "",
            "",
        ].joined(separator: lineEnding)
    }

    private let expected = ["{\"a\":1}", "{\"b\":\"é ✓\"}", "line one\nline two", "[DONE]"]

    @Test("M1: events are decoded with LF, CRLF and CR line endings", arguments: ["\n", "\r\n", "\r"])
    func lineEndings(lineEnding: String) {
        #expect(decode([Array(stream(lineEnding).utf8)]) == expected)
    }

    @Test("M1: an event split across two feeds at every byte boundary decodes the same", arguments: ["\n", "\r\n", "\r"])
    func splitAtEveryBoundary(lineEnding: String) {
        let bytes = Array(stream(lineEnding).utf8)
        for cut in 0...bytes.count {
            let events = decode([Array(bytes[..<cut]), Array(bytes[cut...])])
            #expect(events == expected, "split at byte \(cut)")
        }
    }

    @Test("M1: feeding one byte at a time decodes the same events", arguments: ["\n", "\r\n", "\r"])
    func byteByByte(lineEnding: String) {
        let bytes = Array(stream(lineEnding).utf8)
        #expect(decode(bytes.map { [$0] }) == expected)
    }

    @Test("M1: feed returns each event as soon as its blank line arrives")
    func eventsReturnedPromptly() {
        var decoder = SSEDecoder()
        #expect(decoder.feed(Array("data: one\n".utf8)).isEmpty)
        #expect(decoder.feed(Array("\n".utf8)) == ["one"])
        #expect(decoder.feed(Array("data: two\n\ndata: three\n\n".utf8)) == ["two", "three"])
    }

    @Test("M1: comment lines and other fields produce no events")
    func commentsIgnored() {
        let text = ": ping\n\n: another\nevent: x\nid: 1\nretry: 10\n\n"
        #expect(decode([Array(text.utf8)]).isEmpty)
    }

    @Test("M1: the space after 'data:' is optional and only one is stripped")
    func dataSpacing() {
        #expect(decode([Array("data:x\n\ndata:  y\n\n".utf8)]) == ["x", " y"])
    }

    @Test("M1: a field named like data but longer (dataX) is not data")
    func dataPrefixField() {
        #expect(decode([Array("dataX: nope\ndata: yes\n\n".utf8)]) == ["yes"])
    }

    @Test("finish() flushes an event left open at the end of the stream")
    func finishFlushesOpenEvent() {
        var decoder = SSEDecoder()
        #expect(decoder.feed(Array("data: partial".utf8)).isEmpty)
        #expect(decoder.finish() == ["partial"])
        #expect(decoder.finish().isEmpty)

        var second = SSEDecoder()
        #expect(second.feed(Array("data: a\ndata: b\n".utf8)).isEmpty)
        #expect(second.finish() == ["a\nb"])
    }

    @Test("finish() on a cleanly ended stream yields nothing more")
    func finishAfterCompleteEvents() {
        var decoder = SSEDecoder()
        #expect(decoder.feed(Array("data: a\n\n".utf8)) == ["a"])
        #expect(decoder.finish().isEmpty)
    }
}
