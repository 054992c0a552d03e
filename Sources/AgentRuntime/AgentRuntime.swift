import Foundation
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
    let skillsCache = SkillsCache()
    let toolbox: Toolbox
    let host: HostInfo
    let logger: Logger
    /// Transcript entries sent back to the model per run.
    let historyLimit: Int

    public init(
        catalog: AgentCatalog, providers: ProviderRegistry, store: any SessionStore, host: HostInfo = .current,
        historyLimit: Int = 200, toolbox: Toolbox = .builtin, logger: Logger
    ) {
        self.toolbox = toolbox
        self.catalog = catalog
        self.providers = providers
        self.store = store
        self.host = host
        self.historyLimit = historyLimit
        self.logger = logger
    }

    /// Runs one turn. `onEvent` is called in order, from the task that runs the turn.
    ///
    /// The turn runs as `control`'s work (a child task it can stop), or in the calling task when
    /// the caller already runs inside `control`. The agent's timeout is a stop of `control`.
    /// - Throws: `AgentError`, `ProviderError`, `CancellationError`, a store error, or the
    ///   reason `control` was stopped with.
    public func run(
        _ request: AgentRequest, control: RunControl = RunControl(),
        onEvent: @escaping @Sendable (AgentEvent) async throws -> Void = { _ in }
    ) async throws -> AgentResult {
        guard let agent = catalog.agent(request.agentId) else {
            throw AgentError(.unknownAgent, "Unknown agent '\(request.agentId)'.")
        }
        let runLogger = RunLogger(logger: logger, runId: request.runId, sessionKey: request.sessionKey, agentId: agent.id)

        let work: @Sendable () async throws -> AgentResult = {
            try await self.lanes.withLane(request.sessionKey) {
                let seconds = agent.timeoutSeconds
                let deadline = control.stop(
                    after: .seconds(seconds), AgentError(.timeout, "Agent run timed out after \(seconds)s."))
                defer { deadline.cancel() }
                return try await self.runInLane(request, agent: agent, logger: runLogger, onEvent: onEvent)
            }
        }
        if control.isRunning { return try await work() }
        return try await control.run(work)
    }

    private func runInLane(
        _ request: AgentRequest, agent: ResolvedAgent, logger: RunLogger,
        onEvent: @escaping @Sendable (AgentEvent) async throws -> Void
    ) async throws -> AgentResult {
        let history = try await store.history(sessionKey: request.sessionKey, limit: historyLimit)
        let candidates = [agent.model.primary] + agent.model.fallbacks
        let refs = try candidates.map { text in
            guard let ref = ModelRef(parsing: text) else {
                throw AgentError(.invalidModel, "Invalid model reference '\(text)'.")
            }
            return ref
        }

        // D-1: owner unless the caller says otherwise; publicMode agents default to non-owner.
        let senderIsOwner = request.senderIsOwner ?? !agent.publicMode
        let clientTools = Self.exposedClientTools(request)
        let clientNames = Set(clientTools.map(\.name))
        let agentTools = toolbox.offered(policy: agent.tools, senderIsOwner: senderIsOwner)
            .filter { !clientNames.contains($0.tool.name) }
        let toolDefinitions = agentTools.map(\.definition) + clientTools
        let skills = agent.publicMode ? [] : await skillsCache.skills(workspace: agent.workspace, only: agent.skills)
        var extraSystem = request.extraSystemPrompt
        if let hint = Self.toolChoiceHint(request.toolChoice) {
            extraSystem = [extraSystem, hint].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "\n\n")
        }

        var run = RunState(
            conversation: Self.chatMessages(from: history)
                + [ChatMessage(role: .user, content: request.message, images: request.images)],
            transcript: [TranscriptMessage(role: .user, content: request.message)])
        var text = RunText()
        var modelIndex = 0
        var pendingClientCalls: [ToolCall] = []
        var finishReason = "stop"

        do {
            loop: while true {
                let ref = refs[modelIndex]
                let system = SystemPrompt.build(
                    SystemPromptContext(
                        agent: agent, model: ref.description, channel: request.channel,
                        extraSystemPrompt: extraSystem, host: host, tools: toolDefinitions.map(\.name),
                        skills: skills))
                let modelRequest = ModelRequest(
                    model: ref.model, messages: [ChatMessage(role: .system, content: system)] + run.conversation,
                    tools: toolDefinitions, sampling: request.sampling, stream: request.streamsText)
                if run.modelCalls == 0 { try await onEvent(.started(runId: request.runId, model: ref.description)) }
                logger.log(.debug, "model call", metadata: ["model": "\(ref)", "iteration": "\(run.iterations)"])

                let response: ModelResponse
                var callStreamed = false
                do {
                    let provider = try providers.provider(for: ref)
                    // While a tool_choice constraint is active, prose is held back (M7).
                    let holdBack = request.toolChoice.isConstraint
                    response = try await provider.complete(modelRequest) { event in
                        switch event {
                        case .textDelta(let delta, let batched):
                            let startsCall = !callStreamed
                            callStreamed = true
                            if holdBack { return }
                            let added = text.append(delta, newParagraph: startsCall)
                            try await onEvent(.assistantDelta(delta: added, text: text.value, batched: batched))
                        case .flush:
                            if !holdBack { try await onEvent(.flush) }
                        }
                    }
                } catch let error as ProviderError
                    where error.isRetryable && !callStreamed && modelIndex + 1 < refs.count
                {
                    let next = refs[modelIndex + 1].description
                    logger.log(
                        .warning,
                        "model failed, trying fallback",
                        metadata: ["model": "\(ref)", "fallback": "\(next)", "error": "\(error)"])
                    try await onEvent(.modelFallback(from: ref.description, to: next, reason: error.message))
                    modelIndex += 1
                    continue loop
                }
                run.modelCalls += 1
                run.usage = run.usage + response.usage
                run.model = ref.description
                if request.toolChoice.isConstraint, !response.text.isEmpty {
                    _ = text.append(response.text, newParagraph: true)
                }

                let calls = response.toolCalls
                run.transcript.append(
                    TranscriptMessage(
                        role: .assistant, content: response.text,
                        toolCalls: calls.map { StoredToolCall(id: $0.id, name: $0.name, arguments: $0.arguments) },
                        model: ref.description, usage: response.usage.storedUsage))
                guard !calls.isEmpty else {
                    finishReason = response.finishReason == "length" ? "length" : "stop"
                    break loop
                }
                run.conversation.append(ChatMessage(role: .assistant, content: response.text, toolCalls: calls))

                let clientCalls = calls.filter { clientNames.contains($0.name) }
                let agentCalls = calls.filter { !clientNames.contains($0.name) }
                if !agentCalls.isEmpty, run.iterations >= agent.maxToolIterations {
                    // The limit is reached: record the refused calls and stop here.
                    for call in agentCalls {
                        run.recordResult(
                            call, ToolOutput("Not executed: the tool iteration limit was reached.", isError: true))
                    }
                    let notice = "[Stopped: the agent reached its limit of \(agent.maxToolIterations) tool iterations.]"
                    let added = text.append(notice, newParagraph: true)
                    try await onEvent(.assistantDelta(delta: added, text: text.value))
                    logger.log(.warning, "tool iteration limit reached", metadata: ["limit": "\(agent.maxToolIterations)"])
                    break loop
                }
                if !agentCalls.isEmpty {
                    run.iterations += 1
                    try await executeTools(
                        agentCalls, offered: agentTools, senderIsOwner: senderIsOwner, model: ref.description,
                        request: request, agent: agent, logger: logger, run: &run, onEvent: onEvent)
                }
                if !clientCalls.isEmpty {
                    pendingClientCalls = clientCalls
                    finishReason = "tool_calls"
                    break loop
                }
            }
        } catch {
            await storePartial(run, request: request, agent: agent, logger: logger)
            throw error
        }

        return try await finishTurn(
            run, text: text, finishReason: finishReason, pendingClientCalls: pendingClientCalls, request: request,
            agent: agent, logger: logger, onEvent: onEvent)
    }

    /// Runs the agent's own tool calls of one model answer, in order, recording each result.
    ///
    /// Its own function (as `finishTurn`), so that its locals are not part of `runInLane`'s async
    /// frame, which a streamed run keeps for as long as it waits on the model (issue 6).
    @inline(never)
    private func executeTools(
        _ calls: [ToolCall], offered: [Toolbox.OfferedTool], senderIsOwner: Bool, model: String,
        request: AgentRequest, agent: ResolvedAgent, logger: RunLogger, run: inout RunState,
        onEvent: @Sendable (AgentEvent) async throws -> Void
    ) async throws {
        for call in calls {
            try await onEvent(.toolStarted(callId: call.id, name: call.name, arguments: call.arguments))
            let context = ToolContext(
                agentId: agent.id, sessionKey: request.sessionKey, runId: request.runId,
                workspace: Workspace(root: agent.workspace), model: model, usage: run.usage, store: store)
            let output: ToolOutput
            do {
                output = try await toolbox.execute(
                    call, offered: offered.map(\.tool), senderIsOwner: senderIsOwner, context: context)
                try Task.checkCancellation()
            } catch {
                // The call may have had effects: record that it was cut short.
                run.recordResult(call, ToolOutput("Aborted: the run ended while the tool was running.", isError: true))
                throw error
            }
            run.recordResult(call, output)
            logger.log(.debug, "tool call", metadata: ["tool": "\(call.name)", "tool.error": "\(output.isError)"])
            try await onEvent(
                .toolFinished(callId: call.id, name: call.name, isError: output.isError, output: output.text))
        }
    }

    /// Checks `tool_choice`, stores the turn, and makes the result.
    @inline(never)
    private func finishTurn(
        _ run: RunState, text: RunText, finishReason: String, pendingClientCalls: [ToolCall], request: AgentRequest,
        agent: ResolvedAgent, logger: RunLogger, onEvent: @Sendable (AgentEvent) async throws -> Void
    ) async throws -> AgentResult {
        if request.toolChoice.isConstraint {
            let satisfied: Bool
            switch request.toolChoice {
            case .function(let name): satisfied = pendingClientCalls.contains { $0.name == name }
            default: satisfied = !pendingClientCalls.isEmpty
            }
            guard satisfied else {
                await storePartial(run, request: request, agent: agent, logger: logger)
                throw AgentError(.toolChoiceUnmet, "The model did not call the tool required by `tool_choice`.")
            }
            // Held-back prose is released now that the call is confirmed (M7).
            if !text.isEmpty { try await onEvent(.assistantDelta(delta: text.value, text: text.value)) }
        }

        let summary = try await store.appendTurn(
            SessionTurn(
                sessionKey: request.sessionKey, agentId: agent.id, messages: run.transcript,
                usage: run.usage.storedUsage))
        logger.log(
            .debug, "run finished",
            metadata: [
                "model": "\(run.model)", "usage.input": "\(run.usage.inputTokens)",
                "usage.output": "\(run.usage.outputTokens)", "model.calls": "\(run.modelCalls)",
                "tool.iterations": "\(run.iterations)",
            ])
        return AgentResult(
            runId: request.runId, text: text.value, usage: run.usage, model: run.model, finishReason: finishReason,
            sessionId: summary.sessionId, toolCalls: pendingClientCalls, modelCalls: run.modelCalls)
    }

    /// A run that executed tools and then failed (or was cancelled or timed out) still records
    /// what it did, so the transcript never hides a side effect. Runs without tool results
    /// store nothing (the turn is atomic).
    private func storePartial(_ run: RunState, request: AgentRequest, agent: ResolvedAgent, logger: RunLogger) async {
        guard run.transcript.contains(where: { $0.role == .toolResult }) else { return }
        let turn = SessionTurn(
            sessionKey: request.sessionKey, agentId: agent.id, messages: run.transcript,
            usage: run.usage.storedUsage)
        let store = self.store
        // Not cancelled with the run: the write must happen even when the client went away.
        let stored = await Task.detached { (try? await store.appendTurn(turn)) != nil }.value
        logger.log(.notice, "run failed after tool calls; partial turn stored", metadata: ["stored": "\(stored)"])
    }

    /// The client tools the model is offered, after `tool_choice` (K2).
    static func exposedClientTools(_ request: AgentRequest) -> [ToolDefinition] {
        switch request.toolChoice {
        case .none: []
        case .auto, .required: request.clientTools
        case .function(let name): request.clientTools.filter { $0.name == name }
        }
    }

    /// The instruction a required or pinned `tool_choice` adds to the system prompt (K2).
    static func toolChoiceHint(_ choice: ClientToolChoice) -> String? {
        switch choice {
        case .required: "You must call at least one of the client's tools in this reply."
        case .function(let name): "You must call the tool `\(name)` in this reply."
        case .auto, .none: nil
        }
    }

    /// Stored transcript → provider messages. Providers require every assistant tool call to be
    /// answered by a tool result and every tool result to follow its call; a history window or a
    /// turn that ended with client tool calls can break that, so unpaired calls and results are
    /// rendered as text instead (like I4's `tool_call` lines).
    static func chatMessages(from history: [TranscriptMessage]) -> [ChatMessage] {
        var messages: [ChatMessage] = []
        var index = 0
        while index < history.count {
            let entry = history[index]
            index += 1
            switch entry.role {
            case .user:
                messages.append(ChatMessage(role: .user, content: entry.content))
            case .assistant:
                var results: [TranscriptMessage] = []
                while index < history.count, history[index].role == .toolResult {
                    results.append(history[index])
                    index += 1
                }
                let answered = Set(results.compactMap(\.toolCallId))
                let paired = entry.toolCalls.filter { answered.contains($0.id) }
                let unpaired = entry.toolCalls.filter { !answered.contains($0.id) }
                var content = entry.content
                for call in unpaired {
                    content += (content.isEmpty ? "" : "\n") + "tool_call id=\(call.id) name=\(call.name) arguments=\(call.arguments)"
                }
                messages.append(
                    ChatMessage(
                        role: .assistant, content: content,
                        toolCalls: paired.map { ToolCall(id: $0.id, name: $0.name, arguments: $0.arguments) }))
                let pairedIds = Set(paired.map(\.id))
                for result in results {
                    if let id = result.toolCallId, pairedIds.contains(id) {
                        messages.append(ChatMessage(role: .tool, content: result.content, toolCallId: id))
                    } else {
                        messages.append(Self.orphanResult(result))
                    }
                }
            case .toolResult:
                messages.append(Self.orphanResult(entry))
            }
        }
        return messages
    }

    private static func orphanResult(_ entry: TranscriptMessage) -> ChatMessage {
        ChatMessage(role: .user, content: "Tool:\(entry.toolCallId ?? entry.toolName ?? "result"): \(entry.content)")
    }
}

/// What one run has done so far.
struct RunState {
    var conversation: [ChatMessage]
    var transcript: [TranscriptMessage]
    var usage = ModelUsage()
    var modelCalls = 0
    /// Rounds of agent tool execution.
    var iterations = 0
    var model = ""

    mutating func recordResult(_ call: ToolCall, _ output: ToolOutput) {
        transcript.append(
            TranscriptMessage(
                role: .toolResult, content: output.text, toolCallId: call.id, toolName: call.name,
                isError: output.isError))
        conversation.append(ChatMessage(role: .tool, content: output.text, toolCallId: call.id))
    }
}

extension ModelUsage {
    var storedUsage: StoredUsage {
        let chat = chatUsage
        return StoredUsage(
            inputTokens: chat.promptTokens, outputTokens: chat.completionTokens, totalTokens: chat.totalTokens)
    }
}

/// The run's assistant text: the text of each model call, calls separated by a blank line.
struct RunText {
    private(set) var value = ""

    var isEmpty: Bool { value.isEmpty }

    /// Appends `piece`; `newParagraph` starts another call's text. Returns what was added.
    mutating func append(_ piece: String, newParagraph: Bool) -> String {
        let added = newParagraph && !value.isEmpty ? "\n\n" + piece : piece
        value += added
        return added
    }
}

/// The runtime's logger for one run: the run's ids are added to each message actually logged,
/// not set on the logger up front (most runs log nothing at the configured level, and setting
/// a handler's metadata re-renders it each time).
struct RunLogger: Sendable {
    let logger: Logger
    let runId: String
    let sessionKey: String
    let agentId: String

    func log(
        _ level: Logger.Level, _ message: @autoclosure () -> Logger.Message,
        metadata: @autoclosure () -> Logger.Metadata = [:]
    ) {
        logger.log(
            level: level, message(),
            metadata: ["run.id": "\(runId)", "session.key": "\(sessionKey)", "agent.id": "\(agentId)"]
                .merging(metadata()) { $1 })
    }
}
