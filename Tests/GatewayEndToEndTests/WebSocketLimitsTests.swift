import Foundation
import GatewayClient
import GatewayProtocol
import NIOCore
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
        let limit = 3 * 1024 * 1024
        try await FakeUpstream.with { upstream in
        try await TestGateway.with(config: TestGateway.config(upstream: upstream), maxBufferedBytes: limit) { gateway in
            // A session whose history is about 2 MiB: one user turn of 1 MiB and its echo.
            let sessionKey = "agent:main:big"
            try await gateway.connected { connection, _ in
                _ = try await connection.call(
                    "chat.send",
                    object([
                        "sessionKey": .string(sessionKey), "message": .string(String(repeating: "x", count: 1024 * 1024)),
                        "idempotencyKey": .string("big"),
                    ]))
                _ = try await connection.event("chat") { $0["state"]?.stringValue == "final" }
            }
            try await RawSocket.with(port: gateway.port, receiveBuffer: 4096) { socket in
                let hello = try await Self.connect(&socket)
                #expect(hello?["policy"]?["maxBufferedBytes"]?.int == limit)
                // 12 small requests, 12 answers of 2 MiB: more than the kernel's socket buffers
                // (4 MiB) and the limit together. The client reads none of them for a while.
                let requests = 12
                for n in 0..<requests {
                    let request = RequestFrame(
                        id: "h\(n)", method: "chat.history", params: object(["sessionKey": .string(sessionKey)]))
                    try await socket.sendText(Frame.request(request).text)
                }
                // Long enough for the server to answer (and find the client not reading), well
                // within the 4 s after which it would cut a socket that never reads.
                try await Task.sleep(for: .seconds(2))
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

    @Test("a huge first frame is refused with 1009 before it is read whole: the socket closes mid-frame (R2)")
    func preConnectCapBeforeBuffering() async throws {
        try await TestGateway.withUpstream { gateway, _ in
            try await RawSocket.with(port: gateway.port) { socket in
                try await socket.write(WebSocketRawTests.upgrade)
                #expect(try await socket.readHead().hasPrefix("HTTP/1.1 101"))
                // A masked text frame header announcing 25 MiB, then only 320 KiB of it.
                var frame = ByteBuffer()
                frame.writeBytes([0x81, 0x80 | 127])
                frame.writeInteger(UInt64(ControlProtocol.maxPayload))
                frame.writeBytes([1, 2, 3, 4])
                frame.writeRepeatingByte(0x61, count: 320 * 1024)
                try await socket.outbound.write(frame)
                // Without the guard the server would wait for the other 24.7 MiB, then time the
                // handshake out (1008) after 10 s.
                let started = ContinuousClock.now
                let close = try await socket.readFrame()
                #expect(ContinuousClock.now - started < .seconds(5))
                #expect(close.opcode == 0x8)
                #expect(Array(close.payload.prefix(2)) == [0x03, 0xF1])  // 1009
            }
        }
    }

    @Test("after connect the pre-connect byte budget no longer applies (R2, R4 maxPayload)")
    func budgetLiftedAfterConnect() async throws {
        try await TestGateway.withUpstream { gateway, _ in
            try await gateway.connected { connection, _ in
                let padding = String(repeating: "y", count: 150 * 1024)
                for _ in 0..<3 {
                    let response = try await connection.call("health", object(["padding": .string(padding)]))
                    #expect(response.ok)
                }
            }
        }
    }
}
