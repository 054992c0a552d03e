import Foundation
import GatewayClient
import GatewayProtocol
import OpenAIWire
import Testing

/// The control plane at the byte level (A3, R1): upgrade handshake and frames written by hand.
@Suite("WebSocket on the wire")
struct WebSocketRawTests {
    static let upgrade =
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

    @Test("an upgrade request on the HTTP port gets 101 with the RFC 6455 accept key, then protocol frames (A3, R1)")
    func upgradeAndConnect() async throws {
        try await TestGateway.withUpstream { gateway, _ in
            try await RawSocket.with(port: gateway.port) { socket in
                try await socket.write(Self.upgrade)
                let head = try await socket.readHead()
                #expect(head.hasPrefix("HTTP/1.1 101"))
                #expect(head.lowercased().contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="))

                let connect = Frame.request(
                    RequestFrame(id: "c1", method: "connect", params: GatewayConnection.connectParams(token: TestGateway.token)))
                try await socket.sendText(connect.text)
                let reply = try await socket.readFrame()
                #expect(reply.opcode == 0x1)
                let response = try Frame.parse(String(decoding: reply.payload, as: UTF8.self)).response
                #expect(response?.id == "c1")
                #expect(response?.ok == true)
                #expect(response?.payload?["type"]?.stringValue == "hello-ok")

                // A close frame is answered with a close frame carrying the same code.
                try await socket.send(opcode: 0x8, [0x03, 0xE8])
                let close = try await socket.readFrame()
                #expect(close.opcode == 0x8)
                #expect(Array(close.payload.prefix(2)) == [0x03, 0xE8])
            }
        }
    }

    @Test("a broken upgrade request (no Sec-WebSocket-Key) is not upgraded and the server keeps serving (A3)")
    func brokenUpgrade() async throws {
        try await TestGateway.withUpstream { gateway, _ in
            let head = try await RawSocket.with(port: gateway.port) { socket in
                try await socket.write(
                    "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n")
                // SwiftNIO's upgrader drops such a connection without an answer; either way, no 101.
                return try? await socket.readHead()
            }
            #expect(head?.hasPrefix("HTTP/1.1 101") != true)
            #expect(try await gateway.request(.GET, "/health").status == 200)
        }
    }
}
