import Foundation
import GatewayClient
import GatewayProtocol
import OpenAIWire
import Testing

/// The control plane through the real `openclaw` binary (W2, D-10).
@Suite("WebSocket through the openclaw binary")
struct WebSocketProcessTests {
    @Test("`openclaw agent --url ws://…` runs a turn through a running gateway and prints the reply (W2)")
    func agentOverWebSocket() async throws {
        try await FakeUpstream.with { upstream in
            let gateway = try GatewayProcess(["gateway", "--port", "0"], config: TestGateway.config(upstream: upstream))
            let port = try await gateway.waitForListening()
            let agent = try GatewayProcess(
                ["agent", "--url", "ws://127.0.0.1:\(port)", "--token", TestGateway.token, "--message", "over the socket"],
                config: nil)
            #expect(await agent.waitForExit(timeout: .seconds(30)) == 0, "stderr: \(agent.stderr)")
            #expect(await eventually { agent.stdout.contains("echo: over the socket") }, "stdout: \(agent.stdout)")
            // The turn ran in the gateway: the upstream saw it.
            #expect(await upstream.recorder.requests.last?.lastContent == "over the socket")

            let refused = try GatewayProcess(
                ["agent", "--url", "ws://127.0.0.1:\(port)", "--token", "wrong", "--message", "x"], config: nil)
            #expect(await refused.waitForExit(timeout: .seconds(30)) == 1)
            #expect(refused.stderr.contains("unauthorized"))

            gateway.signal(SIGTERM)
            #expect(await gateway.waitForExit() == 0)
        }
    }

    @Test("SIGTERM sends connected clients a shutdown event, aborts their runs, closes with 1012, exits 0 (D-10, R6)")
    func shutdownEvent() async throws {
        try await FakeUpstream.with { upstream in
            let gateway = try GatewayProcess(
                ["gateway", "--port", "0"], config: TestGateway.config(upstream: upstream, model: "fake/slow"))
            let port = try await gateway.waitForListening()
            try await GatewayConnection.with(url: "ws://127.0.0.1:\(port)") { connection in
                try await connection.connect(token: TestGateway.token)
                let id = connection.request("agent", object(["message": .string("long"), "idempotencyKey": .string("s1")]))
                _ = try await connection.response(id)
                _ = try await connection.event("agent") { $0["stream"]?.stringValue == "assistant" }
                gateway.signal(SIGTERM)
                let shutdown = try await connection.event("shutdown")
                #expect(shutdown.payload?["reason"]?.stringValue?.isEmpty == false)
                let final = try await connection.response(id)
                #expect(final.ok == false)
                #expect(final.payload?["status"]?.stringValue == "error")
                #expect(try await connection.waitForClose().code == 1012)
            }
            #expect(await gateway.waitForExit(timeout: .seconds(15)) == 0)
            #expect(await eventually { await upstream.recorder.abandoned == 1 })
        }
    }
}
