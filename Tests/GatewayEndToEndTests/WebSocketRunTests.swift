import Foundation
import GatewayClient
import GatewayProtocol
import OpenAIWire
import Testing

/// What a WebSocket client sees of a run beyond text: tool events (O4, R6) and run timeouts (R5).
@Suite("WebSocket runs: tools and timeouts")
struct WebSocketRunTests {
    @Test("agent streams tool start/end events with callId, name, arguments and the output's byte count (O4, R6)")
    func toolEvents() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            _ = try ToolLoopTests.workspace(gateway)
            await upstream.recorder.enqueue(
                .toolCalls("", [(id: "c1", name: "current_time", arguments: "{}")]), .text("done"))
            try await gateway.connected { connection, _ in
                let id = connection.request("agent", object(["message": .string("time?"), "idempotencyKey": .string("t1")]))
                let runId = try #require(try await connection.response(id).payload?["runId"]?.stringValue)
                let final = try await connection.response(id)
                #expect(final.payload?["status"]?.stringValue == "ok")
                #expect(final.payload?["text"]?.stringValue == "done")

                let events = connection.frames.compactMap(\.event).filter { $0.event == "agent" }
                let tool = events.filter { $0.payload?["stream"]?.stringValue == "tool" }
                #expect(tool.allSatisfy { $0.payload?["runId"]?.stringValue == runId && $0.payload?["ts"]?.int != nil })
                let data = tool.compactMap { $0.payload?["data"] }
                #expect(data.map { $0["phase"]?.stringValue } == ["start", "end"])
                #expect(data.map { $0["callId"]?.stringValue } == ["c1", "c1"])
                #expect(data.map { $0["name"]?.stringValue } == ["current_time", "current_time"])
                #expect(data.first?["arguments"]?.stringValue == "{}")
                #expect(data.last?["isError"]?.boolValue == false)
                // The output itself is not sent, only its size: what the model got back.
                let toolResult = try #require(
                    await upstream.recorder.requests.last?.toolMessages.first?["content"]?.stringValue)
                #expect(data.last?["outputBytes"]?.int == toolResult.utf8.count)
                #expect(data.last?["output"] == nil)
                // Tool events sit between lifecycle start and end, in the run's seq order.
                let streams = events.compactMap { $0.payload?["stream"]?.stringValue }
                #expect(streams.first == "lifecycle" && streams.last == "lifecycle")
                let seqs = events.compactMap { $0.payload?["seq"]?.int }
                #expect(seqs == Array(1...seqs.count))
            }
        }
    }

    @Test("a failing tool call is reported with isError true (O4, R6)")
    func toolErrorEvent() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            _ = try ToolLoopTests.workspace(gateway)
            await upstream.recorder.enqueue(
                .toolCalls("", [(id: "c2", name: "read", arguments: #"{"path":"missing.txt"}"#)]), .text("no file"))
            try await gateway.connected { connection, _ in
                let id = connection.request("agent", object(["message": .string("read"), "idempotencyKey": .string("t2")]))
                _ = try await connection.response(id)
                _ = try await connection.response(id)
                let end = connection.frames.compactMap(\.event).first {
                    $0.payload?["stream"]?.stringValue == "tool" && $0.payload?["data"]?["phase"]?.stringValue == "end"
                }
                #expect(end?.payload?["data"]?["isError"]?.boolValue == true)
                #expect(end?.payload?["data"]?["name"]?.stringValue == "read")
            }
        }
    }

    @Test("chat.send timeoutMs aborts a run that takes longer: chat error event, upstream request closed (R5)")
    func chatSendTimeout() async throws {
        try await TestGateway.withUpstream(model: "fake/slow") { gateway, upstream in
            try await gateway.connected { connection, _ in
                let sent = try await connection.call(
                    "chat.send",
                    object([
                        "sessionKey": .string("agent:main:timeout"), "message": .string("x"),
                        "idempotencyKey": .string("to1"), "timeoutMs": .number(300),
                    ]))
                #expect(sent.payload?["status"]?.stringValue == "started")
                let started = ContinuousClock.now
                let end = try await connection.event("chat") { $0["state"]?.stringValue != "delta" }
                #expect(end.payload?["state"]?.stringValue == "error")
                #expect(end.payload?["errorMessage"]?.stringValue?.contains("timed out") == true)
                #expect(ContinuousClock.now - started < .seconds(1.5))
            }
            // Under load the 300 ms can pass before the upstream call is even made; a call
            // that was made must have been closed, never completed.
            #expect(
                await eventually {
                    let made = await !upstream.recorder.requests.isEmpty
                    let closed = await upstream.recorder.abandoned == 1
                    return !made || closed
                })
            #expect(await upstream.recorder.completed == 0)
        }
    }

    @Test("agent timeout (seconds) ends the run with an error result; agent.wait reports error (R5)")
    func agentTimeout() async throws {
        try await TestGateway.withUpstream(model: "fake/slow") { gateway, upstream in
            try await gateway.connected { connection, _ in
                let id = connection.request(
                    "agent",
                    object(["message": .string("x"), "idempotencyKey": .string("to2"), "timeout": .number(1)]))
                let runId = try #require(try await connection.response(id).payload?["runId"]?.stringValue)
                let final = try await connection.response(id)
                #expect(final.ok == false)
                #expect(final.payload?["status"]?.stringValue == "error")
                #expect(final.error?.message.contains("timed out") == true)
                let phases = connection.frames.compactMap(\.event)
                    .filter { $0.payload?["stream"]?.stringValue == "lifecycle" }
                    .compactMap { $0.payload?["data"]?["phase"]?.stringValue }
                #expect(phases == ["start", "error"])
                let waited = try await connection.call("agent.wait", object(["runId": .string(runId)]))
                #expect(waited.payload?["status"]?.stringValue == "error")
            }
            #expect(await eventually { await upstream.recorder.abandoned == 1 })
        }
    }

    @Test("a timeout that is not a non-negative integer is refused (R5)")
    func badTimeout() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            try await gateway.connected { connection, _ in
                let bad = try await connection.call(
                    "chat.send",
                    object([
                        "sessionKey": .string("agent:main:t"), "message": .string("x"), "idempotencyKey": .string("to3"),
                        "timeoutMs": .string("soon"),
                    ]))
                #expect(bad.ok == false)
                #expect(bad.error?.message.contains("timeoutMs") == true)
            }
            #expect(await upstream.recorder.requests.isEmpty)
        }
    }
}
