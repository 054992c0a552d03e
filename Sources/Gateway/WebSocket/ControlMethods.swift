import AgentRuntime
import Foundation
import GatewayConfig
import GatewayProtocol
import ModelProviders
import OpenAIWire
import SessionStore

/// The methods of the control plane after `connect` (R5, D-7, D-10). Each request answers on
/// the connection's `Outbox`; `agent` and `chat.send` hand their run to the `ControlPlane`.
struct ControlMethods: Sendable {
    let plane: ControlPlane
    let connId: String

    static let methods = [
        "health", "status", "agent", "agent.wait", "chat.send", "chat.history", "chat.abort", "sessions.list",
        "models.list", "agents.list",
    ]
    static let events = ["agent", "chat", "tick", "shutdown"]
    /// E1: the full set, granted to shared-secret callers.
    static let operatorScopes = [
        "operator.admin", "operator.read", "operator.write", "operator.approvals", "operator.pairing",
        "operator.talk.secrets",
    ]

    func handle(_ request: RequestFrame, outbox: Outbox) async {
        do {
            let params = try Params(request.params, method: request.method)
            switch request.method {
            case "health": outbox.respond(request.id, payload: try await health())
            case "status": outbox.respond(request.id, payload: try await status())
            case "sessions.list": outbox.respond(request.id, payload: try await sessionsList(params))
            case "models.list": outbox.respond(request.id, payload: modelsList())
            case "agents.list": outbox.respond(request.id, payload: agentsList())
            case "chat.history": outbox.respond(request.id, payload: try await chatHistory(params))
            case "chat.abort": outbox.respond(request.id, payload: try chatAbort(params))
            case "agent.wait": outbox.respond(request.id, payload: try await agentWait(params))
            case "agent": try await agent(request.id, params, outbox: outbox)
            case "chat.send": try await chatSend(request.id, params, outbox: outbox)
            default: throw ErrorShape("unknown method: \(request.method)")
            }
        } catch let error as ErrorShape {
            outbox.respond(request.id, error: error)
        } catch is CancellationError {
            // The connection is gone.
        } catch {
            plane.logger.warning("websocket method failed", metadata: ["ws.method": "\(request.method)", "error": "\(error)"])
            outbox.respond(request.id, error: ErrorShape(code: ErrorCode.unavailable, "\(request.method) failed"))
        }
    }

    // MARK: - Read-only methods

    func health() async throws -> JSONValue {
        let started = ContinuousClock.now
        var storeOK = true
        do { _ = try await plane.store.sessions(limit: 1) } catch { storeOK = false }
        return .object([
            "ok": .bool(storeOK), "ts": .int(Date.nowMs),
            "durationMs": .int((ContinuousClock.now - started).milliseconds),
            "checks": .object(["sessionStore": .string(storeOK ? "ok" : "failing")]),
        ])
    }

    func status() async throws -> JSONValue {
        .object([
            "version": .string(ControlPlane.serverVersion),
            "protocol": .int(ControlProtocol.version),
            "uptimeMs": .int(Int(Date().timeIntervalSince(plane.startedAt) * 1000)),
            "connections": .int(plane.connectionCount),
            "activeRuns": .int(plane.runs.activeRuns.count),
            "defaultAgentId": .string(plane.runtime.catalog.defaultAgentId),
        ])
    }

    func sessionsList(_ params: Params) async throws -> JSONValue {
        let limit = try params.int("limit", range: 1...1000) ?? 200
        let sessions = try await plane.store.sessions(limit: limit)
        return .object([
            "count": .int(sessions.count),
            "sessions": .array(
                sessions.map { s in
                    .object([
                        "key": .string(s.key), "agentId": .string(s.agentId), "sessionId": .string(s.sessionId),
                        "createdAt": .int(s.createdAt.ms), "updatedAt": .int(s.updatedAt.ms),
                        "inputTokens": .int(s.usage.inputTokens), "outputTokens": .int(s.usage.outputTokens),
                        "totalTokens": .int(s.usage.totalTokens), "messageCount": .int(s.messageCount),
                    ])
                }),
        ])
    }

    /// Backend models: those of configured providers, then every agent's primary and fallbacks.
    func modelsList() -> JSONValue {
        var seen: Set<String> = []
        var models: [JSONValue] = []
        for (providerId, provider) in plane.config.models.providers.sorted(by: { $0.key < $1.key }) {
            for model in provider.models where seen.insert("\(providerId)/\(model.id)").inserted {
                var entry: [String: JSONValue] = [
                    "id": .string(model.id), "provider": .string(providerId), "name": .string(model.name ?? model.id),
                ]
                if let window = model.contextWindow { entry["contextWindow"] = .int(window) }
                if let maxTokens = model.maxTokens { entry["maxTokens"] = .int(maxTokens) }
                models.append(.object(entry))
            }
        }
        for agent in plane.runtime.catalog.agents {
            for ref in [agent.model.primary] + agent.model.fallbacks where seen.insert(ref).inserted {
                guard let parsed = ModelRef(parsing: ref) else { continue }
                models.append(
                    .object([
                        "id": .string(parsed.model), "provider": .string(parsed.provider), "name": .string(parsed.model),
                    ]))
            }
        }
        return .object(["models": .array(models)])
    }

    func agentsList() -> JSONValue {
        let catalog = plane.runtime.catalog
        return .object([
            "defaultId": .string(catalog.defaultAgentId),
            "agents": .array(
                catalog.agents.map { agent in
                    var entry: [String: JSONValue] = [
                        "id": .string(agent.id), "default": .bool(agent.id == catalog.defaultAgentId),
                        "model": .string(agent.model.primary),
                    ]
                    if let name = agent.name { entry["name"] = .string(name) }
                    return .object(entry)
                }),
        ])
    }

    func chatHistory(_ params: Params) async throws -> JSONValue {
        let sessionKey = try params.requiredString("sessionKey")
        let limit = min(try params.int("limit", range: 1...Int.max) ?? 200, 1000)
        let session = try await plane.store.session(key: sessionKey)
        let messages = session == nil ? [] : try await plane.store.history(sessionKey: sessionKey, limit: limit)
        var payload: [String: JSONValue] = [
            "sessionKey": .string(sessionKey),
            "messages": .array(messages.map(Self.chatMessage)),
        ]
        if let session { payload["sessionId"] = .string(session.sessionId) }
        return .object(payload)
    }

    static func chatMessage(_ message: TranscriptMessage) -> JSONValue {
        var entry: [String: JSONValue] = [
            "role": .string(message.role.rawValue),
            "content": .array([.object(["type": .string("text"), "text": .string(message.content)])]),
            "timestamp": .int(message.createdAt.ms),
        ]
        if let model = message.model { entry["model"] = .string(model) }
        if let usage = message.usage {
            entry["usage"] = .object([
                "input": .int(usage.inputTokens), "output": .int(usage.outputTokens), "total": .int(usage.totalTokens),
            ])
        }
        if let toolCallId = message.toolCallId { entry["toolCallId"] = .string(toolCallId) }
        if let toolName = message.toolName { entry["toolName"] = .string(toolName) }
        return .object(entry)
    }

    /// Stops the session's runs, or one run of it, whichever face started them.
    func chatAbort(_ params: Params) throws -> JSONValue {
        let sessionKey = try params.requiredString("sessionKey")
        var aborted: [String] = []
        if let runId = try params.string("runId") {
            if let run = plane.runs.active(runId) {
                guard run.sessionKey == sessionKey else { throw ErrorShape("runId does not match sessionKey") }
                if plane.runs.abort(runId: runId) { aborted = [runId] }
            }
        } else {
            aborted = plane.runs.abort(sessionKey: sessionKey)
        }
        return .object([
            "ok": .bool(true), "aborted": .bool(!aborted.isEmpty), "runIds": .array(aborted.map(JSONValue.string)),
        ])
    }

    func agentWait(_ params: Params) async throws -> JSONValue {
        let runId = try params.requiredString("runId")
        let timeoutMs = try params.int("timeoutMs", range: 0...Int.max) ?? 30_000
        let runs = plane.runs
        let outcome = await withTaskGroup(of: RunRegistry.Outcome?.self) { group in
            group.addTask { await runs.outcome(runId) }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(timeoutMs))
                return nil
            }
            defer { group.cancelAll() }
            return await group.next() ?? nil
        }
        try Task.checkCancellation()
        guard let outcome else { return .object(["runId": .string(runId), "status": .string("timeout")]) }
        var payload: [String: JSONValue] = [
            "runId": .string(runId), "status": .string(outcome.status == .ok ? "ok" : "error"),
            "startedAt": .int(outcome.startedAt.ms), "endedAt": .int(outcome.endedAt.ms),
        ]
        if let error = outcome.error { payload["error"] = .string(error) }
        return .object(payload)
    }

    // MARK: - Runs

    /// `agent`: accepted at once, `agent` events while it runs, then the final result, all
    /// answered with the request's id (D-10).
    func agent(_ id: String, _ params: Params, outbox: Outbox) async throws {
        let message = try params.requiredString("message")
        let idempotencyKey = try params.requiredString("idempotencyKey")
        let sessionKey = try params.string("sessionKey")
        let agentId = try resolveAgent(explicit: params.string("agentId"), sessionKey: sessionKey)
        let request = AgentRequest(
            agentId: agentId, sessionKey: sessionKey ?? "agent:\(agentId):main", message: message,
            extraSystemPrompt: try params.string("extraSystemPrompt"), channel: try params.string("channel") ?? "webchat")
        // `timeout` is in seconds, as in OpenClaw's `agent` method; 0 or absent: the agent's own.
        let timeout = try params.int("timeout", range: 0...Self.maxTimeoutSeconds).map { Duration.seconds($0) }
        let accepted = IdempotencyCache.Entry(runId: request.runId, acceptedAt: Date.nowMs)
        if let first = plane.idempotency.claim("agent:\(idempotencyKey)", accepted) {
            // A retry: the first attempt's run, answered the same way.
            outbox.respond(id, payload: Self.acceptedPayload(first, cached: true))
            if let outcome = await plane.runs.outcome(first.runId) {
                Self.respondFinal(id, outcome: outcome, runId: first.runId, outbox: outbox)
            }
            return
        }
        let runs = plane.runs
        let runtime = plane.runtime
        let reporter = AgentRunReporter(runId: request.runId, outbox: outbox)
        let started = plane.submit {
            await reporter.run { onEvent in
                try await runs.run(
                    runtime, request, timeout: timeout.flatMap { $0 > .zero ? $0 : nil }, admitted: true,
                    onEvent: onEvent)
            }
            if let outcome = runs.finished(request.runId) {
                Self.respondFinal(id, outcome: outcome, runId: request.runId, outbox: outbox)
            }
        }
        guard started else { throw ErrorShape(code: ErrorCode.unavailable, "gateway is shutting down", retryable: true) }
        outbox.respond(id, payload: Self.acceptedPayload(accepted, cached: false))
    }

    static func acceptedPayload(_ entry: IdempotencyCache.Entry, cached: Bool) -> JSONValue {
        var payload: [String: JSONValue] = [
            "status": .string("accepted"), "runId": .string(entry.runId), "acceptedAt": .int(entry.acceptedAt),
        ]
        if cached { payload["cached"] = .bool(true) }
        return .object(payload)
    }

    static func respondFinal(_ id: String, outcome: RunRegistry.Outcome, runId: String, outbox: Outbox) {
        var payload: [String: JSONValue] = [
            "runId": .string(runId), "status": .string(outcome.status == .ok ? "ok" : "error"),
            "text": .string(outcome.result?.text ?? ""),
            "usage": outcome.result.map { Self.usage($0.usage) } ?? Self.usage(ModelUsage()),
            "startedAt": .int(outcome.startedAt.ms), "endedAt": .int(outcome.endedAt.ms),
        ]
        if let result = outcome.result {
            payload["model"] = .string(result.model)
            payload["stopReason"] = .string(result.finishReason)
            if let sessionId = result.sessionId { payload["sessionId"] = .string(sessionId) }
        }
        if outcome.status == .ok {
            outbox.respond(id, payload: .object(payload))
        } else {
            if outcome.status == .aborted { payload["aborted"] = .bool(true) }
            payload["error"] = .string(outcome.error ?? "run failed")
            outbox.respond(
                id, error: ErrorShape(code: ErrorCode.unavailable, outcome.error ?? "run failed"), payload: .object(payload))
        }
    }

    static func usage(_ usage: ModelUsage) -> JSONValue {
        .object([
            "input": .int(usage.inputTokens), "output": .int(usage.outputTokens),
            "cacheRead": .int(usage.cacheReadTokens),
            "total": .int(max(usage.totalTokens, usage.inputTokens + usage.outputTokens + usage.cacheReadTokens)),
        ])
    }

    /// `chat.send`: `{runId, status:"started"}` at once, then `chat` events (R5, R6).
    func chatSend(_ id: String, _ params: Params, outbox: Outbox) async throws {
        let sessionKey = try params.requiredString("sessionKey")
        let message = try params.requiredString("message")
        let idempotencyKey = try params.requiredString("idempotencyKey")
        let agentId = try resolveAgent(explicit: nil, sessionKey: sessionKey)
        let timeout = try params.int("timeoutMs", range: 0...Self.maxTimeoutSeconds * 1000).map { Duration.milliseconds($0) }
        let request = AgentRequest(agentId: agentId, sessionKey: sessionKey, message: message, channel: "webchat")
        let accepted = IdempotencyCache.Entry(runId: request.runId, acceptedAt: Date.nowMs)
        if let first = plane.idempotency.claim("chat:\(idempotencyKey)", accepted) {
            let status: String
            if plane.runs.active(first.runId) != nil {
                status = "in_flight"
            } else if let outcome = plane.runs.finished(first.runId) {
                status = outcome.status.rawValue
            } else {
                status = "started"
            }
            outbox.respond(id, payload: .object(["runId": .string(first.runId), "status": .string(status), "cached": .bool(true)]))
            return
        }
        let runs = plane.runs
        let runtime = plane.runtime
        let reporter = ChatRunReporter(runId: request.runId, sessionKey: sessionKey, outbox: outbox)
        let started = plane.submit {
            await reporter.run { onEvent in
                try await runs.run(
                    runtime, request, timeout: timeout.flatMap { $0 > .zero ? $0 : nil }, admitted: true,
                    onEvent: onEvent)
            }
        }
        guard started else { throw ErrorShape(code: ErrorCode.unavailable, "gateway is shutting down", retryable: true) }
        outbox.respond(id, payload: .object(["runId": .string(request.runId), "status": .string("started")]))
    }

    /// The longest `timeout` a client may ask for: 30 days.
    static let maxTimeoutSeconds = 30 * 24 * 3600

    /// The agent for a run: explicit id, else the `agent:<id>:` prefix of the session key, else
    /// the default agent.
    func resolveAgent(explicit: String?, sessionKey: String?) throws(ErrorShape) -> String {
        let catalog = plane.runtime.catalog
        if let explicit {
            let id = explicit.trimmingCharacters(in: .whitespaces).lowercased()
            guard catalog.agent(id) != nil else { throw ErrorShape("unknown agent id \"\(explicit)\"") }
            return id
        }
        if let sessionKey, sessionKey.lowercased().hasPrefix("agent:") {
            let id = sessionKey.dropFirst("agent:".count).prefix { $0 != ":" }.lowercased()
            if catalog.agent(id) != nil { return id }
        }
        return catalog.defaultAgentId
    }
}

/// Method params with the checks R5 needs; errors name the method and field.
struct Params: Sendable {
    let method: String
    let values: [String: JSONValue]

    init(_ params: JSONValue?, method: String) throws(ErrorShape) {
        self.method = method
        switch params {
        case nil, .null?: values = [:]
        case .object(let object)?: values = object
        default: throw ErrorShape("invalid \(method) params: params must be an object")
        }
    }

    func string(_ key: String) throws(ErrorShape) -> String? {
        switch values[key] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        default: throw ErrorShape("invalid \(method) params: \(key) must be a string")
        }
    }

    func requiredString(_ key: String) throws(ErrorShape) -> String {
        guard let value = try string(key), !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ErrorShape("invalid \(method) params: \(key) is required")
        }
        return value
    }

    func int(_ key: String, range: ClosedRange<Int>) throws(ErrorShape) -> Int? {
        guard let raw = values[key], !raw.isNull else { return nil }
        guard let value = raw.intValue, range.contains(value) else {
            throw ErrorShape("invalid \(method) params: \(key) must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }
}

extension JSONValue {
    static func int(_ value: Int) -> JSONValue { .number(Double(value)) }
}

extension Date {
    var ms: Int { Int(timeIntervalSince1970 * 1000) }
}
