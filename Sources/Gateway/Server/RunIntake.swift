import AgentRuntime
import GatewayConfig
import Hummingbird
import Logging
import NIOCore
import OpenAIWire

/// What a POST endpoint resolved from one request: the agent run, and how to answer.
protocol PreparedRun: Sendable {
    var agentRequest: AgentRequest { get }
    var stream: Bool { get }
}

/// The common front of the run endpoints (`/v1/chat/completions`, `/v1/responses`) and the
/// common shape of their answers.
enum RunIntake {
    /// Reads the body on the connection's event loop (F1, F2), validates it into a run (400 on
    /// failure) and logs what was resolved.
    static func prepare<P: PreparedRun>(
        _ request: Request, context: GatewayContext, bodyTimeout: Duration, endpoint: String,
        _ prepare: (Request, ByteBuffer) throws(RequestValidationError) -> P
    ) async throws -> P {
        let (request, body) = try await BodyReader.read(
            request, limit: GatewaySettings.maxBodyBytes, timeout: bodyTimeout,
            eventLoop: context.connection.channel.eventLoop)
        let prepared: P
        do throws(RequestValidationError) {
            prepared = try prepare(request, body)
        } catch {
            throw GatewayError.invalidRequest(error.message)
        }
        let run = prepared.agentRequest
        context.logger.debug(
            "\(endpoint)",
            metadata: [
                "run.id": "\(run.runId)", "agent.id": "\(run.agentId)", "session.key": "\(run.sessionKey)",
                "stream": "\(prepared.stream)",
            ])
        return prepared
    }

    /// A 200 `text/event-stream` response (M1) whose body `write` produces; the stream is
    /// finished after it.
    static func eventStream(
        _ write: @escaping @Sendable (inout any ResponseBodyWriter) async throws -> Void
    ) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache", .connection: "keep-alive",
            ],
            body: ResponseBody { writer in
                try await write(&writer)
                try await writer.finish(nil)
            })
    }
}

extension RunRegistry {
    /// `runtime.run(request)`, registered so `chat.abort` can stop it.
    func run(
        _ runtime: AgentRuntime, _ request: AgentRequest,
        onEvent: @escaping @Sendable (AgentEvent) async throws -> Void = { _ in }
    ) async throws -> AgentResult {
        try await track(request) { try await runtime.run(request, onEvent: onEvent) }
    }
}
