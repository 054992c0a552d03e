import Foundation
import GatewayClient
import GatewayProtocol
import OpenAIWire
import Testing

/// The `connect` handshake of the control plane on the gateway port (A3, R1–R4, D-7).
@Suite("WebSocket handshake")
struct WebSocketHandshakeTests {
    @Test("HTTP and WebSocket share the port; hello-ok lists methods, events, policy and server (A3, R4, D-7)")
    func helloOk() async throws {
        try await TestGateway.withUpstream { gateway, _ in
            #expect(try await gateway.request(.GET, "/health").status == 200)
            try await gateway.connected { connection, hello in
                #expect(hello["type"]?.stringValue == "hello-ok")
                #expect(hello["protocol"]?.int == 3)
                let methods = Set(hello["features"]?["methods"]?.arrayValue?.compactMap(\.stringValue) ?? [])
                #expect(
                    methods == [
                        "health", "status", "agent", "agent.wait", "chat.send", "chat.history", "chat.abort",
                        "sessions.list", "models.list", "agents.list",
                    ])
                let events = Set(hello["features"]?["events"]?.arrayValue?.compactMap(\.stringValue) ?? [])
                #expect(events == ["agent", "chat", "tick", "shutdown"])
                #expect(hello["policy"]?["tickIntervalMs"]?.int == 30_000)
                #expect(hello["policy"]?["maxPayload"]?.int == 25 * 1024 * 1024)
                #expect(hello["server"]?["version"]?.stringValue?.isEmpty == false)
                #expect(hello["server"]?["connId"]?.stringValue?.isEmpty == false)
                // No connect.challenge (D-7): the hello is the only frame so far.
                #expect(connection.frames.count == 1)
            }
        }
    }

    @Test("the upgrade is accepted on any path (A3)")
    func anyPath() async throws {
        try await TestGateway.withUpstream { gateway, _ in
            let hello = try await GatewayConnection.with(url: gateway.wsURL + "/some/path") { connection in
                try await connection.connect(token: TestGateway.token)
            }
            #expect(hello["type"]?.stringValue == "hello-ok")
        }
    }

    @Test("a first request that is not connect gets INVALID_REQUEST and close 1008 (R2)")
    func firstRequestNotConnect() async throws {
        try await TestGateway.withUpstream { gateway, _ in
            try await gateway.ws { connection in
                let response = try await connection.call("health")
                #expect(response.ok == false)
                #expect(response.error?.code == "INVALID_REQUEST")
                #expect(response.error?.message == "invalid handshake: first request must be connect")
                #expect(try await connection.waitForClose().code == 1008)
            }
        }
    }

    @Test("a first frame that is not a request closes with 1008 (R2)", arguments: ["not json", #"{"type":"event","event":"x"}"#])
    func firstFrameNotRequest(text: String) async throws {
        try await TestGateway.withUpstream { gateway, _ in
            try await gateway.ws { connection in
                connection.sendRaw(text)
                let close = try await connection.waitForClose()
                #expect(close.code == 1008)
            }
        }
    }

    @Test("a protocol range without 3 gets \"protocol mismatch\" with expectedProtocol and close 1002 (R3, D-7)")
    func protocolMismatch() async throws {
        try await TestGateway.withUpstream { gateway, _ in
            try await gateway.ws { connection in
                let response = try await connection.call(
                    "connect", GatewayConnection.connectParams(token: TestGateway.token, minProtocol: 4, maxProtocol: 5))
                #expect(response.ok == false)
                #expect(response.error?.code == "INVALID_REQUEST")
                #expect(response.error?.message == "protocol mismatch")
                #expect(response.error?.details?["expectedProtocol"]?.int == 3)
                #expect(try await connection.waitForClose().code == 1002)
            }
        }
    }

    @Test("a wrong or missing token gets \"unauthorized\" and close 1008 (R3, C5)", arguments: ["wrong-token", nil])
    func unauthorized(token: String?) async throws {
        try await TestGateway.withUpstream { gateway, _ in
            try await gateway.ws { connection in
                let response = try await connection.call("connect", GatewayConnection.connectParams(token: token))
                #expect(response.ok == false)
                #expect(response.error?.code == "INVALID_REQUEST")
                #expect(response.error?.message == "unauthorized")
                #expect(try await connection.waitForClose().code == 1008)
            }
        }
    }

    @Test("connect params without a client object are refused with close 1008 (R3)")
    func invalidConnectParams() async throws {
        try await TestGateway.withUpstream { gateway, _ in
            try await gateway.ws { connection in
                let params = object(["minProtocol": .number(3), "maxProtocol": .number(3)])
                let response = try await connection.call("connect", params)
                #expect(response.ok == false)
                #expect(response.error?.message.hasPrefix("invalid connect params") == true)
                #expect(try await connection.waitForClose().code == 1008)
            }
        }
    }

    @Test("WebSocket auth failures count in the same limiter as HTTP, and a locked client is refused (D1–D3)")
    func sharedRateLimiter() async throws {
        try await FakeUpstream.with { upstream in
            let config = TestGateway.config(upstream: upstream).replacingOccurrences(
                of: #"token: "\#(TestGateway.token)" }"#,
                with: #"token: "\#(TestGateway.token)", rateLimit: { maxAttempts: 2, lockoutMs: 60000, exemptLoopback: false } }"#)
            try await TestGateway.with(config: config) { gateway in
                for _ in 0..<2 {
                    try await gateway.ws { connection in
                        let response = try await connection.call("connect", GatewayConnection.connectParams(token: "bad"))
                        #expect(response.error?.message == "unauthorized")
                    }
                }
                // Locked now: the right token is refused on both faces.
                try await gateway.ws { connection in
                    let response = try await connection.call(
                        "connect", GatewayConnection.connectParams(token: TestGateway.token))
                    #expect(response.error?.message == "unauthorized")
                    #expect(response.error?.retryable == true)
                    #expect((response.error?.retryAfterMs ?? 0) > 0)
                    #expect(try await connection.waitForClose().code == 1008)
                }
                #expect(try await gateway.chat(chatBody("hi")).status == 429)
            }
        }
    }

    @Test("a pre-connect frame over 64 KiB closes the socket with 1009 (R2)")
    func preConnectCap() async throws {
        try await TestGateway.withUpstream { gateway, _ in
            try await gateway.ws { connection in
                var params = GatewayConnection.connectParams(token: TestGateway.token).objectValue!
                params["padding"] = .string(String(repeating: "x", count: 65 * 1024))
                connection.request("connect", .object(params))
                let close = try await connection.waitForClose()
                #expect(close.code == 1009)
                #expect(connection.frames.isEmpty)
            }
        }
    }

    @Test("after connect, frames larger than 64 KiB are accepted (R2, R4 maxPayload)")
    func largeFrameAfterConnect() async throws {
        try await TestGateway.withUpstream { gateway, _ in
            try await gateway.connected { connection, _ in
                let response = try await connection.call(
                    "health", object(["padding": .string(String(repeating: "y", count: 200 * 1024))]))
                #expect(response.ok)
            }
        }
    }

    @Test("malformed frames after connect get an error response and the socket stays usable (R1)")
    func malformedFrames() async throws {
        try await TestGateway.withUpstream { gateway, _ in
            try await gateway.connected { connection, _ in
                connection.sendRaw("{ not json")
                let parseError = try await connection.next { $0.response?.ok == false }.response!
                #expect(parseError.error?.code == "INVALID_REQUEST")
                #expect(parseError.error?.message.hasPrefix("invalid frame") == true)

                connection.sendRaw(#"{"type":"req","id":"no-method"}"#)
                let missingMethod = try await connection.response("no-method")
                #expect(missingMethod.ok == false)
                #expect(missingMethod.error?.code == "INVALID_REQUEST")

                connection.sendRaw(#"[1,2,3]"#)
                #expect(try await connection.next { $0.response?.ok == false }.response?.error?.code == "INVALID_REQUEST")

                let unknown = try await connection.call("no.such.method")
                #expect(unknown.error?.message == "unknown method: no.such.method")

                let badParams = try await connection.call("chat.history", .string("oops"))
                #expect(badParams.error?.message == "invalid chat.history params: params must be an object")

                #expect(try await connection.call("health").ok)
                #expect(connection.isClosed == false)
            }
        }
    }

    @Test("tick events arrive at policy.tickIntervalMs with increasing seq (R4)")
    func ticks() async throws {
        try await FakeUpstream.with { upstream in
            try await TestGateway.with(config: TestGateway.config(upstream: upstream), tickInterval: .milliseconds(200)) {
                gateway in
                try await gateway.connected { connection, hello in
                    #expect(hello["policy"]?["tickIntervalMs"]?.int == 200)
                    let first = try await connection.event("tick", timeout: .seconds(3))
                    let second = try await connection.event("tick", timeout: .seconds(3))
                    #expect(first.payload?["ts"]?.int != nil)
                    #expect((second.seq ?? 0) > (first.seq ?? 0))
                }
            }
        }
    }
}
