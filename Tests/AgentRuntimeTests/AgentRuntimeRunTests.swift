import Foundation
import GatewayConfig
import Logging
import ModelProviders
import OpenAIWire
import SessionStore
import Testing

@testable import AgentRuntime

/// O3, O4, V1, D-10: one agent turn through the runtime with a scripted provider.
@Suite struct AgentRuntimeRunTests {
    static let fallbackConfig = #"""
        {agents: {list: [{id: "main", model: {primary: "script/primary", fallbacks: ["backup/secondary"]}}]}}
        """#

    struct Harness {
        var runtime: AgentRuntime
        var store: SQLiteSessionStore
        var primary: ScriptedProvider
        var backup: ScriptedProvider
    }

    private func harness(
        _ primary: [ScriptedProvider.Step], backup: [ScriptedProvider.Step] = [], config: String = fallbackConfig
    ) throws -> Harness {
        let parsed = try ConfigLoader.parse(Data(config.utf8)).config
        let catalog = AgentCatalog(config: parsed, stateDir: StatePaths(root: "/tmp/openclaw-test-state"))
        let p = ScriptedProvider(id: "script", primary)
        let b = ScriptedProvider(id: "backup", backup)
        let store = try SQLiteSessionStore()
        let runtime = AgentRuntime(
            catalog: catalog, providers: ProviderRegistry(providers: ["script": p, "backup": b]), store: store,
            host: HostInfo(hostname: "testhost", os: "linux", arch: "x86_64"), logger: Logger(label: "test"))
        return Harness(runtime: runtime, store: store, primary: p, backup: b)
    }

    private func request(_ message: String, key: String = "agent:main:openai-user:t") -> AgentRequest {
        AgentRequest(runId: "run_1", agentId: "main", sessionKey: key, message: message)
    }

    @Test("O4: text deltas arrive in order as .assistantDelta with the text so far")
    func deltasInOrder() async throws {
        let h = try harness([.reply(["Hel", "lo", " world"], usage: ModelUsage(inputTokens: 7, outputTokens: 3))])
        let log = EventLog()
        let result = try await h.runtime.run(request("hi")) { log.record($0) }
        #expect(
            log.all == [
                .started(runId: "run_1", model: "script/primary"),
                .assistantDelta(delta: "Hel", text: "Hel"),
                .assistantDelta(delta: "lo", text: "Hello"),
                .assistantDelta(delta: " world", text: "Hello world"),
            ])
        #expect(result.text == "Hello world")
        #expect(result.model == "script/primary")
        #expect(result.runId == "run_1")
        #expect(result.finishReason == "stop")
        #expect(result.usage == ModelUsage(inputTokens: 7, outputTokens: 3))
        #expect(result.sessionId == (try await h.store.session(key: "agent:main:openai-user:t"))?.sessionId)
    }

    @Test("deltas from one upstream read keep their batching and the flush after them")
    func batchedDeltasAndFlushPassThrough() async throws {
        let h = try harness([
            .events([.textDelta("a"), .textDelta("b", batched: true), .textDelta("c", batched: true), .flush, .textDelta("d")])
        ])
        let log = EventLog()
        let result = try await h.runtime.run(request("hi")) { log.record($0) }
        #expect(
            log.all == [
                .started(runId: "run_1", model: "script/primary"),
                .assistantDelta(delta: "a", text: "a"),
                .assistantDelta(delta: "b", text: "ab", batched: true),
                .assistantDelta(delta: "c", text: "abc", batched: true),
                .flush,
                .assistantDelta(delta: "d", text: "abcd"),
            ])
        #expect(result.text == "abcd")
    }

    @Test("D-10: the provider gets its own model id, the system prompt first, then the user message")
    func requestShape() async throws {
        let h = try harness([.reply(["ok"])])
        var req = request("what time is it?")
        req.extraSystemPrompt = "Be brief."
        req.channel = "custom-channel"
        req.sampling = SamplingParameters(maxTokens: 9, temperature: 0.5)
        _ = try await h.runtime.run(req)
        let sent = try #require(h.primary.requests.first)
        #expect(sent.model == "primary")
        #expect(sent.sampling == SamplingParameters(maxTokens: 9, temperature: 0.5))
        #expect(sent.messages.map(\.role) == [.system, .user])
        let system = sent.messages[0].content
        #expect(system.contains("## Group Chat Context\nBe brief."))
        #expect(system.contains("Runtime: agent=main | host=testhost | os=linux (x86_64) | model=script/primary"))
        #expect(system.contains("channel=custom-channel"))
        #expect(sent.messages[1].content == "what time is it?")
    }

    @Test("D-10: a second run on the same session key sends the first turn as earlier messages")
    func secondRunSeesHistory() async throws {
        let h = try harness([.reply(["first ", "answer"]), .reply(["second answer"])])
        _ = try await h.runtime.run(request("first question"))
        _ = try await h.runtime.run(request("second question"))
        let second = try #require(h.primary.requests.last)
        #expect(h.primary.requests.count == 2)
        #expect(second.messages.map(\.role) == [.system, .user, .assistant, .user])
        #expect(second.messages.dropFirst().map(\.content) == ["first question", "first answer", "second question"])

        let stored = try await h.store.history(sessionKey: "agent:main:openai-user:t", limit: 10)
        #expect(stored.map(\.content) == ["first question", "first answer", "second question", "second answer"])
        #expect(stored[1].model == "script/primary")
    }

    @Test("D-10: a run on another session key does not see this key's history")
    func otherKeyIsolated() async throws {
        let h = try harness([.reply(["a"]), .reply(["b"])])
        _ = try await h.runtime.run(request("one", key: "k1"))
        _ = try await h.runtime.run(request("two", key: "k2"))
        #expect(h.primary.requests.last?.messages.map(\.role) == [.system, .user])
    }

    @Test("A failing provider stores nothing")
    func failureStoresNothing() async throws {
        let h = try harness(
            [.fail(ProviderError(kind: .auth, provider: "script", status: 401, message: "bad key"))],
            config: #"{agents: {defaults: {model: "script/primary"}}}"#)
        let error = await #expect(throws: ProviderError.self) { try await h.runtime.run(self.request("hi")) }
        #expect(error?.kind == .auth)
        #expect(try await h.store.session(key: "agent:main:openai-user:t") == nil)
        #expect(try await h.store.history(sessionKey: "agent:main:openai-user:t", limit: 10).isEmpty)
    }

    @Test("V1: a retryable primary failure falls back to the next model and reports it")
    func retryableFallsBack() async throws {
        let h = try harness(
            [.fail(ProviderError(kind: .serverError, provider: "script", status: 503, message: "upstream down"))],
            backup: [.reply(["from ", "backup"])])
        let log = EventLog()
        let result = try await h.runtime.run(request("hi")) { log.record($0) }
        #expect(result.text == "from backup")
        #expect(result.model == "backup/secondary")
        #expect(h.primary.requests.count == 1)
        #expect(h.backup.requests.count == 1)
        #expect(h.backup.requests.first?.model == "secondary")
        #expect(
            log.all == [
                .started(runId: "run_1", model: "script/primary"),
                .modelFallback(from: "script/primary", to: "backup/secondary", reason: "upstream down"),
                .started(runId: "run_1", model: "backup/secondary"),
                .assistantDelta(delta: "from ", text: "from "),
                .assistantDelta(delta: "backup", text: "from backup"),
            ])
        let stored = try await h.store.history(sessionKey: "agent:main:openai-user:t", limit: 10)
        #expect(stored.map(\.content) == ["hi", "from backup"])
        #expect(stored.last?.model == "backup/secondary")
    }

    @Test("V1: every retryable kind triggers the fallback", arguments: [
        ProviderError.Kind.rateLimit, .serverError, .timeout, .overloaded, .connection, .unavailable,
    ])
    func retryableKinds(kind: ProviderError.Kind) async throws {
        let h = try harness([.fail(ProviderError(kind: kind, provider: "script", message: "x"))], backup: [.reply(["ok"])])
        #expect(try await h.runtime.run(request("hi")).model == "backup/secondary")
    }

    @Test("V1: a non-retryable error is thrown without trying the fallback", arguments: [
        ProviderError.Kind.auth, .permission, .billing, .format, .modelNotFound,
    ])
    func nonRetryableThrows(kind: ProviderError.Kind) async throws {
        let h = try harness([.fail(ProviderError(kind: kind, provider: "script", message: "nope"))], backup: [.reply(["ok"])])
        let log = EventLog()
        let error = await #expect(throws: ProviderError.self) {
            try await h.runtime.run(self.request("hi")) { log.record($0) }
        }
        #expect(error?.kind == kind)
        #expect(h.backup.requests.isEmpty)
        #expect(!log.all.contains { if case .modelFallback = $0 { true } else { false } })
        #expect(try await h.store.session(key: "agent:main:openai-user:t") == nil)
    }

    @Test("V1: a retryable failure after text was streamed is not retried on the fallback")
    func noFallbackAfterStreaming() async throws {
        let h = try harness(
            [.failAfter(["partial"], ProviderError(kind: .serverError, provider: "script", message: "cut"))],
            backup: [.reply(["ok"])])
        await #expect(throws: ProviderError.self) { try await h.runtime.run(self.request("hi")) }
        #expect(h.backup.requests.isEmpty)
    }

    @Test("V1: when every model fails with retryable errors the last error is thrown")
    func allFail() async throws {
        let h = try harness(
            [.fail(ProviderError(kind: .serverError, provider: "script", message: "first"))],
            backup: [.fail(ProviderError(kind: .timeout, provider: "backup", message: "second"))])
        let error = await #expect(throws: ProviderError.self) { try await h.runtime.run(self.request("hi")) }
        #expect(error?.message == "second")
        #expect(try await h.store.session(key: "agent:main:openai-user:t") == nil)
    }

    @Test("G3: an unknown agent id fails with AgentError.unknownAgent")
    func unknownAgent() async throws {
        let h = try harness([.reply(["ok"])])
        var req = request("hi")
        req.agentId = "ghost"
        let error = await #expect(throws: AgentError.self) { try await h.runtime.run(req) }
        #expect(error?.kind == .unknownAgent)
        #expect(error?.message == "Unknown agent 'ghost'.")
        #expect(h.primary.requests.isEmpty)
    }

    @Test("O3: concurrent runs on one session key are serialized and each sees the previous turns")
    func sameKeySerialized() async throws {
        let steps = (0..<5).map { _ in ScriptedProvider.Step.reply(["r"]) }
        let h = try harness(steps)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<5 {
                group.addTask { _ = try await h.runtime.run(self.request("q\(i)")) }
            }
            try await group.waitForAll()
        }
        #expect(h.primary.maxInFlight == 1)
        // Run k (in lane order) sends k earlier turns: system + 2k + user.
        #expect(h.primary.requests.map(\.messages.count).sorted() == [2, 4, 6, 8, 10])
        #expect(try await h.store.history(sessionKey: "agent:main:openai-user:t", limit: 100).count == 10)
    }

    @Test("O3: a run that exceeds the agent timeout fails with AgentError.timeout and stores nothing")
    func timeout() async throws {
        let h = try harness(
            [.delay(.seconds(30))], config: #"{agents: {defaults: {model: "script/primary", timeoutSeconds: 1}}}"#)
        let start = ContinuousClock.now
        let error = await #expect(throws: AgentError.self) { try await h.runtime.run(self.request("hi")) }
        #expect(error?.kind == .timeout)
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(try await h.store.session(key: "agent:main:openai-user:t") == nil)
    }
}
