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
    let keepAliveSeconds: Double
    let bodyTimeout: Duration
    /// Told about stateless sessions, so their (empty) history is not read.
    var sessions: FreshSessions? = nil

    /// Everything a run needs, resolved from one request.
    struct Prepared: Sendable {
        var agentRequest: AgentRequest
        var model: String
        var stream: Bool
        var includeUsage: Bool
        /// The session key was made up for this request (stateless: no header, no `user`).
        var isNewSession = false
    }

    func handle(_ request: Request, context: GatewayContext) async throws -> Response {
        let (request, body) = try await BodyReader.read(
            request, limit: GatewaySettings.maxBodyBytes, timeout: bodyTimeout,
            eventLoop: context.connection.channel.eventLoop)
        let prepared: Prepared
        do {
            prepared = try prepare(request, body: body)
        } catch {
            throw GatewayError.invalidRequest(error.message)
        }
        context.logger.debug(
            "chat completion",
            metadata: [
                "run.id": "\(prepared.agentRequest.runId)", "agent.id": "\(prepared.agentRequest.agentId)",
                "session.key": "\(prepared.agentRequest.sessionKey)", "stream": "\(prepared.stream)",
            ])
        if prepared.stream {
            return streamResponse(prepared, connection: context.connection)
        }
        let sessions = prepared.isNewSession ? self.sessions : nil
        sessions?.markNew(prepared.agentRequest.sessionKey)
        defer { sessions?.forget(prepared.agentRequest.sessionKey) }
        return try await completeResponse(prepared, connection: context.connection)
    }

    func prepare(_ request: Request, body: ByteBuffer) throws(RequestValidationError) -> Prepared {
        let parsed = try ChatCompletionRequest.parse(body: Data(buffer: body))
        let headers = request.headers
        let agentId = try RequestTargeting.resolveAgent(
            headerAgentId: headers.first(.openclawAgentId) ?? headers.first(.openclawAgent), model: parsed.model,
            catalog: runtime.catalog)
        let sessionHeader = headers.first(.openclawSessionKey)
        let sessionKey = try RequestTargeting.resolveSessionKey(
            header: sessionHeader, user: parsed.user, agentId: agentId, prefix: "openai")
        let isNewSession = RequestTargeting.isStateless(header: sessionHeader, user: parsed.user)
        try ClientTools.validate(tools: parsed.tools, toolChoice: parsed.toolChoice)
        let conversation = try ChatMessagesFlattener.flatten(parsed.messages)
        let agentRequest = AgentRequest(
            runId: "chatcmpl_" + RandomID.uuidString(), agentId: agentId, sessionKey: sessionKey,
            message: conversation.prompt, images: conversation.images,
            extraSystemPrompt: conversation.extraSystemPrompt,
            channel: RequestTargeting.channel(headers.first(.openclawMessageChannel)),
            senderIsOwner: RequestTargeting.senderIsOwner(headers.first(.openclawSenderIsOwner)),
            sampling: parsed.sampling)
        let model = parsed.model.flatMap { $0.isEmpty ? nil : $0 } ?? "openclaw"
        return Prepared(
            agentRequest: agentRequest, model: model, stream: parsed.stream, includeUsage: parsed.includeUsage,
            isNewSession: isNewSession)
    }

    /// L1–L4: run to completion, then one JSON body. A client that leaves cancels the run (O2).
    func completeResponse(_ prepared: Prepared, connection: ClientConnection) async throws -> Response {
        let runtime = self.runtime
        let agentRequest = prepared.agentRequest
        let result: AgentResult
        do {
            result = try await connection.cancelOnClose {
                try await runtime.run(agentRequest)
            }
        } catch {
            throw GatewayError.fromRun(error)
        }
        let completion = ChatCompletion(
            id: agentRequest.runId, created: Int(Date().timeIntervalSince1970), model: prepared.model,
            content: result.text.isEmpty ? Self.emptyReply : result.text, finishReason: result.finishReason,
            usage: result.usage.chatUsage)
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: completion.compactJSON())))
    }

    static let emptyReply = "No response from OpenClaw."

    /// M1–M8: SSE; the run's events become chunks as they arrive.
    func streamResponse(_ prepared: Prepared, connection: ClientConnection) -> Response {
        let stream = ChatCompletionStream(
            runtime: runtime, prepared: prepared, keepAliveSeconds: keepAliveSeconds, connection: connection)
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache", .connection: "keep-alive",
            ],
            body: ResponseBody { [sessions = prepared.isNewSession ? sessions : nil] writer in
                let key = prepared.agentRequest.sessionKey
                sessions?.markNew(key)
                defer { sessions?.forget(key) }
                try await stream.write(to: &writer)
                try await writer.finish(nil)
            })
    }
}
