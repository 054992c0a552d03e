import Foundation
import GatewayClient
import GatewayProtocol
import OpenAIWire
import Testing

/// Limits that protect the gateway from its WebSocket clients (R2, R4).
@Suite("WebSocket limits")
struct WebSocketLimitsTests {
    /// Upgrades `socket` and completes `connect`; returns the `hello-ok` payload.
    static func connect(_ socket: inout RawSocket) async throws -> JSONValue? {
        try await socket.write(WebSocketRawTests.upgrade)
        #expect(try await socket.readHead().hasPrefix("HTTP/1.1 101"))
        let connect = Frame.request(
            RequestFrame(id: "c1", method: "connect", params: GatewayConnection.connectParams(token: TestGateway.token)))
        try await socket.sendText(connect.text)
        let reply = try await socket.readFrame()
        return try Frame.parse(String(decoding: reply.payload, as: UTF8.self)).response?.payload
    }

    @Test("a client that stops reading is closed with 1008 \"slow consumer\" once maxBufferedBytes are queued (R4)")
    func slowConsumer() async throws {
        let limit = 256 * 1024
        try await FakeUpstream.with { upstream in
        try await TestGateway.with(config: TestGateway.config(upstream: upstream), maxBufferedBytes: limit) { gateway in
            try await RawSocket.with(port: gateway.port, receiveBuffer: 4096) { socket in
                let hello = try await Self.connect(&socket)
                #expect(hello?["policy"]?["maxBufferedBytes"]?.int == limit)
                // Each answer echoes its 64 KiB id; the client reads none of them for a while.
                let requests = 40
                for n in 0..<requests {
                    let id = String(n) + String(repeating: "x", count: 64 * 1024)
                    try await socket.sendText(Frame.request(RequestFrame(id: id, method: "status")).text)
                }
                try await Task.sleep(for: .milliseconds(500))
                var texts = 0
                while true {
                    let frame = try await socket.readFrame()
                    if frame.opcode == 0x1 {
                        texts += 1
                        // Without the limit every answer arrives and no close follows.
                        if texts == requests { break }
                        continue
                    }
                    #expect(frame.opcode == 0x8)
                    #expect(Array(frame.payload.prefix(2)) == [0x03, 0xF0])  // 1008
                    #expect(String(decoding: frame.payload.dropFirst(2), as: UTF8.self) == "slow consumer")
                    break
                }
                #expect(texts < requests)
            }
        }
        }
    }
}
