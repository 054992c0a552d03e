import GatewayProtocol
import OpenAIWire
import Testing

@Suite("Control-plane frames (R1)")
struct FrameParsingTests {
    @Test("req, res and event frames round-trip through their JSON text")
    func roundTrip() throws {
        let frames: [Frame] = [
            .request(RequestFrame(id: "1", method: "health", params: .object(["a": .number(1)]))),
            .response(ResponseFrame(id: "1", ok: true, payload: .object(["ok": .bool(true)]))),
            .response(
                ResponseFrame(
                    id: "2", ok: false,
                    error: ErrorShape("protocol mismatch", details: .object(["expectedProtocol": .number(3)]), retryable: false))),
            .event(EventFrame(event: "tick", payload: .object(["ts": .number(5)]), seq: 7)),
        ]
        for frame in frames {
            #expect(try Frame.parse(frame.text) == frame)
        }
    }

    @Test("the wire names are type/id/method/params, ok/payload/error and event/payload/seq")
    func wireNames() throws {
        let request = Frame.request(RequestFrame(id: "x", method: "m")).json
        #expect(request["type"]?.stringValue == "req")
        #expect(request["method"]?.stringValue == "m")
        let event = Frame.event(EventFrame(event: "chat", seq: 3)).json
        #expect(event["type"]?.stringValue == "event")
        #expect(event["seq"]?.doubleValue == 3)
    }

    @Test(
        "malformed frames are errors that keep the request id when there is one",
        arguments: [
            ("not json", nil), ("[1]", nil), (#"{"type":"req","method":"m"}"#, nil),
            (#"{"type":"req","id":"7"}"#, "7"), (#"{"type":"nope","id":"8"}"#, "8"), (#"{"type":"req","id":5,"method":"m"}"#, nil),
        ] as [(String, String?)])
    func malformed(text: String, id: String?) {
        #expect(throws: FrameError.self) { try Frame.parse(text) }
        do {
            _ = try Frame.parse(text)
        } catch {
            #expect(error.id == id)
            #expect(error.message.hasPrefix("invalid"))
        }
    }
}
