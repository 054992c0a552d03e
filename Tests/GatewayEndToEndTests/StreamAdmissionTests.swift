import AsyncHTTPClient
import Foundation
import GatewayClient
import GatewayProtocol
import NIOCore
import OpenAIWire
import Testing

/// Streamed runs take a start permit (`AdmissionGate`, issue 6); these check, over HTTP, that
/// the gate never holds a stream back behind a slow model, never leaks a permit, and that a
/// run waiting for one is already a run (`chat.abort` reaches it).
///
/// Nothing here depends on timing: the slow model thinks for 30 s (longer than any test
/// waits), and the tests look at the gateway's `activeRuns` (WebSocket `status`) to know a
/// stream is queued.
@Suite("Stream admission: a bounded number of streamed runs start at once")
struct StreamAdmissionTests {
    /// `main` thinks for 30 s before its first token; `quick` echoes at once.
    static let agents = #"[{id: "main", default: true}, {id: "quick", model: "fake/echo"}]"#

    /// A gateway with one start permit held `holdLimit` at most, and a stream to the slow agent
    /// that holds it (its run has reached the model). The slow stream's client leaves at the end.
    static func withSlowStream(
        holdLimit: Duration,
        _ body: @Sendable (TestGateway, FakeUpstream, Task<(TestGateway.HTTPResult, [String]), any Error>) async throws
            -> Void
    ) async throws {
        try await FakeUpstream.with { upstream in
            let config = TestGateway.config(upstream: upstream, model: "fake/held", agentsList: agents)
            try await TestGateway.with(config: config, streamStartPermits: 1, streamStartHoldLimit: holdLimit) { gateway in
                let slow = Task { try await gateway.stream(chatBody("a", model: "openclaw:main", stream: true)) }
                defer { slow.cancel() }
                #expect(await eventually(timeout: .seconds(15)) { await upstream.recorder.requests.count == 1 })
                try await body(gateway, upstream, slow)
            }
        }
    }

    /// Polls the gateway's `status` until `activeRuns` is `count`.
    static func activeRuns(_ gateway: TestGateway, reach count: Int) async throws -> Bool {
        try await gateway.connected { connection, _ in
            for _ in 0..<750 {
                let status = try await connection.call("status")
                if status.payload?["activeRuns"]?.int == count { return true }
                try await Task.sleep(for: .milliseconds(20))
            }
            return false
        }
    }

    /// The streamed answer's text: its deltas joined.
    static func text(_ events: [String]) -> String {
        events.compactMap { try? JSONValue.parse(Data($0.utf8)) }
            .compactMap { $0["choices"]?[0]?["delta"]?["content"]?.stringValue }.joined()
    }

    @Test("a stream waiting for the only permit gets it after the hold limit, while the first model still thinks")
    func holdLimitFreesThePermit() async throws {
        try await Self.withSlowStream(holdLimit: .milliseconds(100)) { gateway, upstream, slow in
            // The slow run holds the one permit and has no first token for 30 s: without the
            // hold limit, this stream would wait that long.
            let (quick, quickEvents) = try await gateway.stream(chatBody("b", model: "openclaw:quick", stream: true))
            #expect(quick.status == 200)
            #expect(quickEvents.last == "[DONE]")
            #expect(Self.text(quickEvents) == "echo: b")
            #expect(await upstream.recorder.completed == 1, "only the quick upstream request has ended")
        }
    }

    @Test("a stream whose client leaves while it waits for a permit never starts its run, and takes no permit")
    func leaverLeavesTheQueue() async throws {
        try await Self.withSlowStream(holdLimit: .seconds(60)) { gateway, upstream, slow in
            // A second stream queues behind the slow one (registered, waiting), then its client leaves.
            let leaver = Task { try await gateway.stream(chatBody("b", model: "openclaw:quick", stream: true)) }
            #expect(try await Self.activeRuns(gateway, reach: 2))
            leaver.cancel()
            _ = try? await leaver.value
            #expect(try await Self.activeRuns(gateway, reach: 1))
            // The slow stream's client leaves too: its run ends and gives its permit back.
            slow.cancel()
            _ = try? await slow.value
            #expect(try await Self.activeRuns(gateway, reach: 0))
            // The permit came back once: a third stream starts and ends.
            let (third, events) = try await gateway.stream(chatBody("c", model: "openclaw:quick", stream: true))
            #expect(third.status == 200)
            #expect(events.last == "[DONE]")
            // The leaver's run never reached the model.
            #expect(await upstream.recorder.requests.map(\.lastContent) == ["a", "c"])
        }
    }

    @Test("a WebSocket agent run takes a start permit too: it waits behind the slow stream and runs once it leaves")
    func webSocketRunsQueue() async throws {
        try await Self.withSlowStream(holdLimit: .seconds(60)) { gateway, upstream, slow in
            try await gateway.connected { connection, _ in
                let id = connection.request(
                    "agent",
                    object(["message": .string("ws"), "agentId": .string("quick"), "idempotencyKey": .string("k-ws")]))
                let accepted = try await connection.response(id)
                #expect(accepted.payload?["status"]?.stringValue == "accepted")
                #expect(try await Self.activeRuns(gateway, reach: 2))
                #expect(await upstream.recorder.requests.count == 1, "queued: it has not called the model")
                slow.cancel()
                let final = try await connection.response(id)
                #expect(final.payload?["status"]?.stringValue == "ok")
                #expect(final.payload?["text"]?.stringValue == "echo: ws")
            }
            #expect(await upstream.recorder.requests.map(\.lastContent) == ["a", "ws"])
        }
    }

    @Test("chat.abort reaches a stream still waiting for a permit: it ends with the abort error and never starts (R5)")
    func abortWhileQueued() async throws {
        try await Self.withSlowStream(holdLimit: .seconds(60)) { gateway, upstream, _ in
            let sessionKey = "agent:quick:queued-abort"
            let queued = Task {
                try await gateway.stream(
                    chatBody("b", model: "openclaw:quick", stream: true),
                    extraHeaders: [("x-openclaw-session-key", sessionKey)])
            }
            #expect(try await Self.activeRuns(gateway, reach: 2))
            let runIds = try await gateway.connected { connection, _ in
                let aborted = try await connection.call("chat.abort", object(["sessionKey": .string(sessionKey)]))
                #expect(aborted.ok)
                return aborted.payload?["runIds"]?.arrayValue?.compactMap(\.stringValue) ?? []
            }
            #expect(runIds.count == 1)
            let (result, events) = try await queued.value
            #expect(result.status == 200)
            #expect(events.contains { $0.contains("run aborted") })
            #expect(events.last == "[DONE]")
            #expect(await upstream.recorder.requests.map(\.lastContent) == ["a"])
        }
    }
}
