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

    @Test(
        "a broken upgrade request (no Sec-WebSocket-Key, or version 8) gets a 400 and the server keeps serving (A3)",
        arguments: [
            "Sec-WebSocket-Version: 13\r\n",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n",
        ])
    func brokenUpgrade(headers: String) async throws {
        try await TestGateway.withUpstream { gateway, _ in
            let (head, body) = try await RawSocket.with(port: gateway.port) { socket in
                try await socket.write(
                    "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\(headers)\r\n")
                return (try await socket.readHead(), try await socket.readToEnd())
            }
            #expect(head.hasPrefix("HTTP/1.1 400"))
            #expect(head.lowercased().contains("connection: close"))
            #expect(body.contains("Sec-WebSocket-Key"))
            #expect(try await gateway.request(.GET, "/health").status == 200)
        }
    }

    /// Opens `count` upgraded sockets that never send `connect`, then runs `body` with the last.
    static func holdingUnauthenticated(
        _ count: Int, port: Int, _ body: (inout RawSocket) async throws -> Void
    ) async throws {
        try await RawSocket.with(port: port) { socket in
            try await socket.write(Self.upgrade)
            #expect(try await socket.readHead().hasPrefix("HTTP/1.1 101"))
            if count == 1 {
                try await body(&socket)
            } else {
                try await holdingUnauthenticated(count - 1, port: port, body)
            }
        }
    }

    /// A socket's answer to an upgrade request: the head, and the body when it is not a 101.
    static func upgradeAnswer(port: Int) async throws -> (head: String, body: String) {
        try await RawSocket.with(port: port) { socket in
            try await socket.write(Self.upgrade)
            let head = try await socket.readHead()
            return (head, head.hasPrefix("HTTP/1.1 101") ? "" : try await socket.readToEnd())
        }
    }

    @Test("an IP holding 16 unauthenticated sockets gets a raw 503 \"Too many unauthenticated sockets\"; connect frees a slot (A3)")
    func preAuthSocketBudget() async throws {
        try await TestGateway.withUpstream { gateway, _ in
            try await Self.holdingUnauthenticated(16, port: gateway.port) { last in
                let refused = try await Self.upgradeAnswer(port: gateway.port)
                #expect(refused.head.hasPrefix("HTTP/1.1 503 Service Unavailable"))
                #expect(refused.body == "Too many unauthenticated sockets")
                // Plain HTTP is not counted.
                #expect(try await gateway.request(.GET, "/health").status == 200)

                let connect = Frame.request(
                    RequestFrame(id: "c1", method: "connect", params: GatewayConnection.connectParams(token: TestGateway.token)))
                try await last.sendText(connect.text)
                _ = try await last.readFrame()
                #expect(try await Self.upgradeAnswer(port: gateway.port).head.hasPrefix("HTTP/1.1 101"))
            }
            // Closed sockets give their slots back: the whole budget is there again.
            try await Task.sleep(for: .milliseconds(500))
            try await Self.holdingUnauthenticated(16, port: gateway.port) { _ throws in
                let answer = try await Self.upgradeAnswer(port: gateway.port)
                #expect(answer.head.hasPrefix("HTTP/1.1 503"))
            }
        }
    }
}
