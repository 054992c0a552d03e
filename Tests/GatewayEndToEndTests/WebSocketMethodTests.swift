import AsyncHTTPClient
import Foundation
import GatewayClient
import GatewayProtocol
import NIOCore
import OpenAIWire
import Testing

/// The control plane's methods over a real socket (R5, R6, D-7, D-10).
@Suite("WebSocket methods")
struct WebSocketMethodTests {
    @Test("agent answers accepted, streams agent events, then answers the final result with the same id (R5, R6, D-10)")
    func agentRun() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            try await gateway.connected { connection, _ in
                let id = connection.request("agent", object(["message": .string("hi there"), "idempotencyKey": .string("k1")]))
                let accepted = try await connection.response(id)
                #expect(accepted.ok)
                #expect(accepted.payload?["status"]?.stringValue == "accepted")
                let runId = try #require(accepted.payload?["runId"]?.stringValue)
                #expect(accepted.payload?["acceptedAt"]?.int != nil)

                let final = try await connection.response(id)
                #expect(final.ok)
                #expect(final.payload?["status"]?.stringValue == "ok")
                #expect(final.payload?["runId"]?.stringValue == runId)
                #expect(final.payload?["text"]?.stringValue == "echo: hi there")
                #expect(final.payload?["usage"]?["input"]?.int == 11)
                #expect(final.payload?["usage"]?["output"]?.int == 3)
                #expect(final.payload?["usage"]?["total"]?.int == 14)

                let events = connection.frames.compactMap(\.event).filter { $0.event == "agent" }
                #expect(events.allSatisfy { $0.payload?["runId"]?.stringValue == runId })
                let phases = events.filter { $0.payload?["stream"]?.stringValue == "lifecycle" }
                    .compactMap { $0.payload?["data"]?["phase"]?.stringValue }
                #expect(phases == ["start", "end"])
                let assistant = events.filter { $0.payload?["stream"]?.stringValue == "assistant" }
                #expect(assistant.count == 3)
                let deltas = assistant.compactMap { $0.payload?["data"]?["delta"]?.stringValue }.joined()
                #expect(deltas == "echo: hi there")
                #expect(assistant.last?.payload?["data"]?["text"]?.stringValue == "echo: hi there")
                let runSeqs = events.compactMap { $0.payload?["seq"]?.int }
                #expect(runSeqs == Array(1...runSeqs.count))
                // The default session key of an `agent` run, as the upstream saw it.
                #expect(await upstream.recorder.requests.last?.lastContent == "hi there")
            }
        }
    }

    @Test("agent without idempotencyKey or message is refused (R5)")
    func agentRequiresParams() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            try await gateway.connected { connection, _ in
                let noKey = try await connection.call("agent", object(["message": .string("x")]))
                #expect(noKey.error?.message == "invalid agent params: idempotencyKey is required")
                let noMessage = try await connection.call("agent", object(["idempotencyKey": .string("k")]))
                #expect(noMessage.error?.message == "invalid agent params: message is required")
                let unknownAgent = try await connection.call(
                    "agent", object(["message": .string("x"), "idempotencyKey": .string("k2"), "agentId": .string("nope")]))
                #expect(unknownAgent.ok == false)
            }
            #expect(await upstream.recorder.requests.isEmpty)
        }
    }

    @Test("a retried agent request with the same idempotencyKey gets the same run, not a second one (R5)")
    func agentIdempotency() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            try await gateway.connected { connection, _ in
                let params = object(["message": .string("once"), "idempotencyKey": .string("same-key")])
                let first = connection.request("agent", params)
                let firstAccepted = try await connection.response(first)
                _ = try await connection.response(first)
                let retry = connection.request("agent", params)
                let retryAccepted = try await connection.response(retry)
                #expect(retryAccepted.payload?["runId"] == firstAccepted.payload?["runId"])
                #expect(retryAccepted.payload?["cached"]?.boolValue == true)
                let retryFinal = try await connection.response(retry)
                #expect(retryFinal.payload?["text"]?.stringValue == "echo: once")
            }
            #expect(await upstream.recorder.requests.count == 1)
        }
    }

    @Test("agent.wait reports ok for a finished run and timeout for an unknown one (R5)")
    func agentWait() async throws {
        try await TestGateway.withUpstream { gateway, _ in
            try await gateway.connected { connection, _ in
                let id = connection.request("agent", object(["message": .string("w"), "idempotencyKey": .string("w1")]))
                let runId = try #require(try await connection.response(id).payload?["runId"]?.stringValue)
                let waited = try await connection.call("agent.wait", object(["runId": .string(runId), "timeoutMs": .number(5000)]))
                #expect(waited.payload?["status"]?.stringValue == "ok")
                #expect(waited.payload?["startedAt"]?.int != nil)
                #expect(waited.payload?["endedAt"]?.int != nil)
                let unknown = try await connection.call("agent.wait", object(["runId": .string("nope"), "timeoutMs": .number(100)]))
                #expect(unknown.payload?["status"]?.stringValue == "timeout")
            }
        }
    }

    @Test("chat.send answers started, then chat delta and final events; chat.history returns the turn (R5, R6)")
    func chatSendAndHistory() async throws {
        try await TestGateway.withUpstream { gateway, _ in
            try await gateway.connected { connection, _ in
                let sessionKey = "agent:main:ws-test"
                let sent = try await connection.call(
                    "chat.send",
                    object([
                        "sessionKey": .string(sessionKey), "message": .string("hello"), "idempotencyKey": .string("c1"),
                    ]))
                #expect(sent.payload?["status"]?.stringValue == "started")
                let runId = try #require(sent.payload?["runId"]?.stringValue)
                let final = try await connection.event("chat") { $0["state"]?.stringValue == "final" }
                #expect(final.payload?["runId"]?.stringValue == runId)
                #expect(final.payload?["sessionKey"]?.stringValue == sessionKey)
                #expect(final.payload?["message"]?["content"]?[0]?["text"]?.stringValue == "echo: hello")
                #expect(final.payload?["usage"]?["total"]?.int == 14)
                let deltas = connection.frames.compactMap(\.event).filter {
                    $0.event == "chat" && $0.payload?["state"]?.stringValue == "delta"
                }
                #expect(deltas.count == 3)
                #expect(deltas.last?.payload?["message"]?["content"]?[0]?["text"]?.stringValue == "echo: hello")

                let history = try await connection.call("chat.history", object(["sessionKey": .string(sessionKey)]))
                let messages = history.payload?["messages"]?.arrayValue ?? []
                #expect(messages.map { $0["role"]?.stringValue } == ["user", "assistant"])
                #expect(messages.map { $0["content"]?[0]?["text"]?.stringValue } == ["hello", "echo: hello"])
                #expect(history.payload?["sessionId"]?.stringValue != nil)

                let sessions = try await connection.call("sessions.list")
                let listed = sessions.payload?["sessions"]?.arrayValue ?? []
                #expect(listed.contains { $0["key"]?.stringValue == sessionKey && $0["agentId"]?.stringValue == "main" })
            }
        }
    }

    @Test("a retried chat.send with the same idempotencyKey does not start a second run (R5)")
    func chatSendIdempotency() async throws {
        try await TestGateway.withUpstream(model: "fake/slow") { gateway, upstream in
            try await gateway.connected { connection, _ in
                let params = object([
                    "sessionKey": .string("agent:main:idem"), "message": .string("x"), "idempotencyKey": .string("dup"),
                ])
                let first = try await connection.call("chat.send", params)
                let second = try await connection.call("chat.send", params)
                #expect(second.payload?["runId"] == first.payload?["runId"])
                #expect(second.payload?["status"]?.stringValue != "started")
                _ = try await connection.event("chat") { $0["state"]?.stringValue == "final" }
            }
            #expect(await upstream.recorder.requests.count == 1)
        }
    }

    @Test("chat.abort stops a chat.send run: chat aborted event, upstream request closed (R5, R6)")
    func chatAbortWebSocketRun() async throws {
        try await TestGateway.withUpstream(model: "fake/slow") { gateway, upstream in
            try await gateway.connected { connection, _ in
                let sessionKey = "agent:main:abort-ws"
                _ = try await connection.call(
                    "chat.send",
                    object(["sessionKey": .string(sessionKey), "message": .string("x"), "idempotencyKey": .string("a1")]))
                _ = try await connection.event("chat") { $0["state"]?.stringValue == "delta" }
                let aborted = try await connection.call("chat.abort", object(["sessionKey": .string(sessionKey)]))
                #expect(aborted.payload?["aborted"]?.boolValue == true)
                let event = try await connection.event("chat") { $0["state"]?.stringValue != "delta" }
                #expect(event.payload?["state"]?.stringValue == "aborted")
            }
            #expect(await eventually { await upstream.recorder.abandoned == 1 })
        }
    }

    @Test("chat.abort stops a run started by HTTP /v1/chat/completions: the SSE stream ends early (R5)")
    func chatAbortHTTPStream() async throws {
        try await TestGateway.withUpstream(model: "fake/slow") { gateway, upstream in
            let sessionKey = "agent:main:http-abort"
            async let streamed = gateway.stream(
                chatBody("x", stream: true), extraHeaders: [("x-openclaw-session-key", sessionKey)])
            #expect(await eventually { await upstream.recorder.requests.count == 1 })
            try await Task.sleep(for: .milliseconds(200))
            let runIds = try await gateway.connected { connection, _ in
                let aborted = try await connection.call("chat.abort", object(["sessionKey": .string(sessionKey)]))
                #expect(aborted.ok)
                #expect(aborted.payload?["aborted"]?.boolValue == true)
                return aborted.payload?["runIds"]?.arrayValue?.compactMap(\.stringValue) ?? []
            }
            #expect(runIds.count == 1)
            #expect(runIds.first?.hasPrefix("chatcmpl_") == true)
            let (result, events) = try await streamed
            #expect(result.status == 200)
            let ticks = events.filter { $0.contains("tick") }.count
            #expect(ticks < 40)
            #expect(events.contains { $0.contains("run aborted") })
            #expect(events.last == "[DONE]")
            #expect(await eventually { await upstream.recorder.abandoned == 1 })
            #expect(await upstream.recorder.completed == 0)
        }
    }

    @Test("health, status, models.list and agents.list answer with their documented shapes (R5, D-10)")
    func readOnlyMethods() async throws {
        try await TestGateway.withUpstream(
            agentsList: #"[{ id: "main", default: true, name: "Main" }, { id: "helper" }]"#
        ) { gateway, _ in
            try await gateway.connected { connection, _ in
                let health = try await connection.call("health")
                #expect(health.payload?["ok"]?.boolValue == true)
                let status = try await connection.call("status")
                #expect(status.payload?["version"]?.stringValue?.isEmpty == false)
                #expect(status.payload?["connections"]?.int == 1)
                let agents = try await connection.call("agents.list").payload?["agents"]?.arrayValue ?? []
                #expect(agents.map { $0["id"]?.stringValue } == ["main", "helper"])
                #expect(agents.map { $0["default"]?.boolValue } == [true, false])
                #expect(agents.first?["name"]?.stringValue == "Main")
                let models = try await connection.call("models.list").payload?["models"]?.arrayValue ?? []
                #expect(models.contains { $0["id"]?.stringValue == "echo" && $0["provider"]?.stringValue == "fake" })
                let sessions = try await connection.call("sessions.list")
                #expect(sessions.payload?["sessions"]?.arrayValue != nil)
            }
        }
    }
}
