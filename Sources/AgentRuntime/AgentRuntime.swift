import Foundation
import Synchronization
import GatewayConfig
import Logging
import ModelProviders
import SessionStore

/// Runs agent turns. The one runtime behind every face: HTTP, WebSocket and the CLI build an
/// `AgentRequest`, call `run`, and render the `AgentEvent`s it reports.
///
/// A run holds its session's lane (O3) for its whole duration, sends the stored transcript to
/// the model as earlier messages, and stores the finished turn in one transaction. A failed or
/// cancelled run stores nothing.
public final class AgentRuntime: Sendable {
    public let catalog: AgentCatalog
    let providers: ProviderRegistry
    let store: any SessionStore
    let lanes = SessionLanes()
    let host: HostInfo
    let logger: Logger
    /// Transcript entries sent back to the model per run.
    let historyLimit: Int

    public init(
        catalog: AgentCatalog, providers: ProviderRegistry, store: any SessionStore, host: HostInfo = .current,
        historyLimit: Int = 200, logger: Logger
    ) {
        self.catalog = catalog
        self.providers = providers
        self.store = store
        self.host = host
        self.historyLimit = historyLimit
        self.logger = logger
    }

    /// Runs one turn. `onEvent` is called in order, from the calling task.
    /// - Throws: `AgentError`, `ProviderError`, `CancellationError`, or a store error.
    public func run(
        _ request: AgentRequest, onEvent: @escaping @Sendable (AgentEvent) async throws -> Void = { _ in }
    ) async throws -> AgentResult {
        guard let agent = catalog.agent(request.agentId) else {
            throw AgentError(.unknownAgent, "Unknown agent '\(request.agentId)'.")
        }
        var logger = self.logger
        logger[metadataKey: "run.id"] = "\(request.runId)"
        logger[metadataKey: "session.key"] = "\(request.sessionKey)"
        logger[metadataKey: "agent.id"] = "\(agent.id)"
        let runLogger = logger

        return try await lanes.withLane(request.sessionKey) {
            try await withDeadline(seconds: agent.timeoutSeconds) {
                try await self.runInLane(request, agent: agent, logger: runLogger, onEvent: onEvent)
            }
        }
    }

    private func runInLane(
        _ request: AgentRequest, agent: ResolvedAgent, logger: Logger,
        onEvent: @escaping @Sendable (AgentEvent) async throws -> Void
    ) async throws -> AgentResult {
        let history = try await store.history(sessionKey: request.sessionKey, limit: historyLimit)
        let candidates = [agent.model.primary] + agent.model.fallbacks
        var lastError: (any Error)?

        for (index, modelText) in candidates.enumerated() {
            guard let ref = ModelRef(parsing: modelText) else {
                throw AgentError(.invalidModel, "Invalid model reference '\(modelText)'.")
            }
            let system = SystemPrompt.build(
                SystemPromptContext(
                    agent: agent, model: ref.description, channel: request.channel,
                    extraSystemPrompt: request.extraSystemPrompt, host: host))
            var messages = [ChatMessage(role: .system, content: system)]
            messages.append(contentsOf: Self.chatMessages(from: history))
            messages.append(ChatMessage(role: .user, content: request.message, images: request.images))
            let modelRequest = ModelRequest(model: ref.model, messages: messages, sampling: request.sampling)

            try await onEvent(.started(runId: request.runId, model: ref.description))
            logger.debug("model call", metadata: ["model": "\(ref)"])
            let accumulated = TextAccumulator()
            do {
                let provider = try providers.provider(for: ref)
                let response = try await provider.complete(modelRequest) { event in
                    switch event {
                    case .textDelta(let delta):
                        let text = accumulated.append(delta)
                        try await onEvent(.assistantDelta(delta: delta, text: text))
                    }
                }
                let summary = try await store.appendTurn(
                    SessionTurn(
                        sessionKey: request.sessionKey, agentId: agent.id,
                        messages: [
                            TranscriptMessage(role: .user, content: request.message),
                            TranscriptMessage(
                                role: .assistant, content: response.text, model: ref.description,
                                usage: response.usage.storedUsage),
                        ],
                        usage: response.usage.storedUsage))
                logger.info(
                    "run finished",
                    metadata: [
                        "model": "\(ref)", "usage.input": "\(response.usage.inputTokens)",
                        "usage.output": "\(response.usage.outputTokens)",
                    ])
                return AgentResult(
                    runId: request.runId, text: response.text, usage: response.usage, model: ref.description,
                    finishReason: response.finishReason == "length" ? "length" : "stop",
                    sessionId: summary.sessionId)
            } catch let error as ProviderError
                where error.isRetryable && accumulated.isEmpty && index + 1 < candidates.count
            {
                let next = candidates[index + 1]
                logger.warning(
                    "model failed, trying fallback",
                    metadata: ["model": "\(ref)", "fallback": "\(next)", "error": "\(error)"])
                try await onEvent(.modelFallback(from: ref.description, to: next, reason: error.message))
                lastError = error
            }
        }
        throw lastError ?? AgentError(.invalidModel, "No model configured for agent '\(agent.id)'.")
    }

    /// Stored transcript → provider messages.
    static func chatMessages(from history: [TranscriptMessage]) -> [ChatMessage] {
        history.map { entry in
            switch entry.role {
            case .user:
                ChatMessage(role: .user, content: entry.content)
            case .assistant:
                ChatMessage(
                    role: .assistant, content: entry.content,
                    toolCalls: entry.toolCalls.map { ToolCall(id: $0.id, name: $0.name, arguments: $0.arguments) })
            case .toolResult:
                ChatMessage(role: .tool, content: entry.content, toolCallId: entry.toolCallId)
            }
        }
    }
}

extension ModelUsage {
    var storedUsage: StoredUsage {
        let chat = chatUsage
        return StoredUsage(
            inputTokens: chat.promptTokens, outputTokens: chat.completionTokens, totalTokens: chat.totalTokens)
    }
}

/// The assistant text streamed so far in one model call.
final class TextAccumulator: Sendable {
    private let text = Mutex("")

    func append(_ delta: String) -> String {
        text.withLock {
            $0 += delta
            return $0
        }
    }

    var isEmpty: Bool { text.withLock { $0.isEmpty } }
}

/// Runs `body`, failing with `AgentError.timeout` after `seconds` (O3: the agent's timeout).
func withDeadline<T: Sendable>(seconds: Int, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await TimerSleep.sleep(for: .seconds(seconds))
            throw AgentError(.timeout, "Agent run timed out after \(seconds)s.")
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
