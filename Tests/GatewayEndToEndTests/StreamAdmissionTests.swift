import AsyncHTTPClient
import Foundation
import NIOCore
import OpenAIWire
import Testing

/// Streamed runs take a start permit (`AdmissionGate`, issue 6); these check, over HTTP, that
/// the gate never holds a stream back behind a slow model and never leaks a permit.
@Suite("Stream admission: a bounded number of streamed runs start at once")
struct StreamAdmissionTests {
    /// `main` answers slowly (first token after 1.5 s); `quick` echoes at once.
    static let agents = #"[{id: "main", default: true}, {id: "quick", model: "fake/echo"}]"#

    /// A gateway with one start permit held `holdLimit` at most, and a stream to the slow agent
    /// that holds it (its run has reached the model).
    static func withSlowStream(
        holdLimit: Duration,
        _ body: @Sendable (TestGateway, FakeUpstream, Task<(TestGateway.HTTPResult, [String]), any Error>) async throws
            -> Void
    ) async throws {
        try await FakeUpstream.with { upstream in
            let config = TestGateway.config(upstream: upstream, model: "fake/delayed", agentsList: agents)
            try await TestGateway.with(config: config, streamStartPermits: 1, streamStartHoldLimit: holdLimit) { gateway in
                let slow = Task { try await gateway.stream(chatBody("a", model: "openclaw:main", stream: true)) }
                #expect(await eventually { await upstream.recorder.requests.count == 1 })
                try await body(gateway, upstream, slow)
            }
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
            // The slow run holds the one permit: without the hold limit, this stream would
            // wait for the slow model's first token and end after it.
            let (quick, quickEvents) = try await gateway.stream(chatBody("b", model: "openclaw:quick", stream: true))
            #expect(quick.status == 200)
            #expect(quickEvents.last == "[DONE]")
            #expect(Self.text(quickEvents) == "echo: b")
            #expect(await upstream.recorder.completed == 1, "the quick run ended while the slow one still waited")
            let (slowResult, slowEvents) = try await slow.value
            #expect(Self.text(slowEvents) == "late")
            #expect(slowResult.status == 200)
            #expect(slowEvents.last == "[DONE]")
        }
    }

    @Test("a stream whose client leaves while it waits for a permit never starts its run, and takes no permit")
    func leaverLeavesTheQueue() async throws {
        try await Self.withSlowStream(holdLimit: .seconds(60)) { gateway, upstream, slow in
            // The slow run holds the only permit until its first token (1.5 s).
            // A second stream queues behind it, then its client goes away.
            let leaver = Task { try await gateway.stream(chatBody("b", model: "openclaw:quick", stream: true)) }
            try await Task.sleep(for: .milliseconds(300))
            leaver.cancel()
            _ = try? await leaver.value
            _ = try await slow.value
            // The permit came back once (from the slow run): a third stream starts and ends.
            let (third, events) = try await gateway.stream(chatBody("c", model: "openclaw:quick", stream: true))
            #expect(third.status == 200)
            #expect(events.last == "[DONE]")
            // The leaver's run never reached the model.
            let contents = await upstream.recorder.requests.map(\.lastContent)
            #expect(contents == ["a", "c"])
        }
    }
}
