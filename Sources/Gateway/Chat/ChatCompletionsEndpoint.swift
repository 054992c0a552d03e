import AgentRuntime
import Foundation
import GatewayConfig
import Hummingbird
import Logging
import NIOCore
import NIOFoundationCompat
import OpenAIWire
import SessionStore

/// `POST /v1/chat/completions` (F–O): parse, resolve agent and session, flatten `messages`,
/// run the agent, and answer as a `chat.completion` or an SSE stream.
struct ChatCompletionsEndpoint: Sendable {
    let runtime: AgentRuntime
    /// Where runs are registered, so `chat.abort` on the WebSocket can stop them too (R5).
    let runs: RunRegistry
    let keepAliveSeconds: Double
    let bodyTimeout: Duration
    /// `chatCompletions.streamToolActivity`: tool starts/ends as SSE comment lines.
    var streamToolActivity = false
    /// Auth mode `none`: operator scopes from `x-openclaw-scopes` count for the owner (E4).
    var authIsNone = false
    /// Told about stateless sessions, so their (empty) history is not read.
    var sessions: FreshSessions? = nil

    /// Everything a run needs, resolved from one request.
    struct Prepared: PreparedRun {
        var agentRequest: AgentRequest
        var model: String
        var stream: Bool
        var includeUsage: Bool
        /// The session key was made up for this request (stateless: no header, no `user`).
        var isNewSession = false
    }

    func handle(_ request: Request, context: GatewayContext) async throws -> Response {
        try await RunIntake.handle(connection: context.connection) { control in
            let prepared = try await RunIntake.prepare(
                request, context: context, control: control, bodyTimeout: bodyTimeout, endpoint: "chat completion",
                prepare)
            if prepared.stream {
                return streamResponse(prepared, connection: context.connection)
            }
            let sessions = prepared.isNewSession ? self.sessions : nil
            sessions?.markNew(prepared.agentRequest.sessionKey)
            defer { sessions?.forget(prepared.agentRequest.sessionKey) }
            return try await completeResponse(prepared, control: control)
        }
    }

    func prepare(_ request: Request, body: ByteBuffer) throws(RequestValidationError) -> Prepared {
        let parsed = try ChatCompletionRequest.parse(body: Data(buffer: body))
        let agentRequest = try Self.agentRequest(
            parsed, headers: request.headers, catalog: runtime.catalog, sessionPrefix: "openai",
            runId: "chatcmpl_" + RandomID.uuidString(), authIsNone: authIsNone)
        let isNewSession = RequestTargeting.isStateless(
            header: request.headers.first(.openclawSessionKey), user: parsed.user)
        let model = parsed.model.flatMap { $0.isEmpty ? nil : $0 } ?? "openclaw"
        return Prepared(
            agentRequest: agentRequest, model: model, stream: parsed.stream, includeUsage: parsed.includeUsage,
            isNewSession: isNewSession)
    }

    /// One validated request → the agent run it asks for (G, H, I, J, K, D-1). Shared by
    /// `/v1/chat/completions` and `/v1/responses`.
    static func agentRequest(
        _ parsed: ChatCompletionRequest, headers: HTTPFields, catalog: AgentCatalog, sessionPrefix: String,
        runId: String, authIsNone: Bool, sessionKey fixedSessionKey: String? = nil, extraSystem: [String] = []
    ) throws(RequestValidationError) -> AgentRequest {
        let agentId = try RequestTargeting.resolveAgent(
            headerAgentId: headers.first(.openclawAgentId) ?? headers.first(.openclawAgent), model: parsed.model,
            catalog: catalog)
        let sessionKey: String
        if let fixedSessionKey {
            sessionKey = fixedSessionKey
        } else {
            sessionKey = try RequestTargeting.resolveSessionKey(
                header: headers.first(.openclawSessionKey), user: parsed.user, agentId: agentId, prefix: sessionPrefix)
        }
        let clientTools = try ClientTools.resolve(tools: parsed.tools, toolChoice: parsed.toolChoice)
        let conversation = try ChatMessagesFlattener.flatten(parsed.messages)
        let extra = ([conversation.extraSystemPrompt].compactMap { $0 } + extraSystem).joined(separator: "\n\n")
        return AgentRequest(
            runId: runId, agentId: agentId, sessionKey: sessionKey,
            message: conversation.prompt, images: conversation.images,
            extraSystemPrompt: extra.isEmpty ? nil : extra,
            channel: RequestTargeting.channel(headers.first(.openclawMessageChannel)),
            senderIsOwner: RequestTargeting.senderIsOwner(
                header: headers.first(.openclawSenderIsOwner), scopes: headers.first(.openclawScopes),
                authIsNone: authIsNone),
            sampling: parsed.sampling, clientTools: clientTools.tools, toolChoice: clientTools.choice,
            streamsText: parsed.stream)
    }

    /// L1–L4: run to completion, then one JSON body. Runs as `control`'s work, which a client
    /// that leaves stops (O2).
    func completeResponse(_ prepared: Prepared, control: RunControl) async throws -> Response {
        let agentRequest = prepared.agentRequest
        let result = try await runs.run(runtime, agentRequest, control: control)
        // K3: pending client tool calls; the content is the commentary, possibly "".
        let toolCalls = result.toolCalls.map { ChatToolCall(id: $0.id, name: $0.name, arguments: $0.arguments) }
        let completion = ChatCompletion(
            id: agentRequest.runId, created: Int(Date().timeIntervalSince1970), model: prepared.model,
            content: result.text.isEmpty && toolCalls.isEmpty ? Self.emptyReply : result.text,
            toolCalls: toolCalls.isEmpty ? nil : toolCalls, finishReason: result.finishReason,
            usage: result.usage.chatUsage)
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: completion.compactJSON())))
    }

    static let emptyReply = "No response from OpenClaw."

    /// M1–M8: SSE; the run's events become chunks as they arrive.
    func streamResponse(_ prepared: Prepared, connection: ClientConnection) -> Response {
        ChatCompletionStream(
            runtime: runtime, runs: runs, prepared: prepared, keepAliveSeconds: keepAliveSeconds,
            streamToolActivity: streamToolActivity, connection: connection,
            sessions: prepared.isNewSession ? sessions : nil
        ).response()
    }
}
