import AgentRuntime
import GatewayConfig
import Hummingbird
import Logging
import ModelProviders
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
    /// Runs one POST of a run endpoint as the work of one `RunControl`, stopped when the client
    /// disconnects (O2): `body` reads the request (`prepare`), runs the agent with the same
    /// control, and returns the response. Stops and run failures become `GatewayError`s.
    static func handle(
        connection: ClientConnection, _ body: @escaping @Sendable (RunControl) async throws -> Response
    ) async throws -> Response {
        let control = RunControl()
        do {
            return try await withTaskExecutorPreference(EventLoopExecutor.of(connection.channel.eventLoop)) {
                try await connection.stopOnClose(control) {
                    try await control.run { try await body(control) }
                }
            }
        } catch let error as GatewayError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw GatewayError.fromRun(error)
        }
    }

    /// Reads the body on the connection's event loop (F1, F2), validates it into a run (400 on
    /// failure) and logs what was resolved. Runs as `control`'s work.
    static func prepare<P: PreparedRun>(
        _ request: Request, context: GatewayContext, control: RunControl, bodyTimeout: Duration, endpoint: String,
        _ prepare: (Request, ByteBuffer) throws(RequestValidationError) -> P
    ) async throws -> P {
        let (request, body) = try await BodyReader.read(
            request, limit: GatewaySettings.maxBodyBytes, timeout: bodyTimeout,
            eventLoop: context.connection.channel.eventLoop, control: control)
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

    /// A 200 `text/event-stream` response (M1) for a run already started (`RunStreaming`):
    /// the body gives `output` its writer (sending what the run wrote before the head), then
    /// `finish` waits for the run and writes the rest; the stream is finished after it.
    /// When the body cannot start (the client left before the head was written), the run is
    /// stopped.
    static func eventStream(
        output: EventStreamOutput, run: RunStreaming.Started, _ finish: @escaping @Sendable () async throws -> Void
    ) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache", .connection: "keep-alive",
            ],
            body: ResponseBody { writer in
                do {
                    try await output.attach(writer)
                } catch {
                    run.stop()
                    throw error
                }
                try await finish()
                try await output.finish()
            })
    }
}

extension RunRegistry {
    /// `runtime.run(request)`, registered so `chat.abort` can stop it, stopped by `control`
    /// (and after `timeout`, when given). Runs in the calling task when it already runs inside
    /// `control`, else as `control`'s child task.
    ///
    /// When `admitted`, the run first waits for a permit of `admission`, already registered, so
    /// `chat.abort` reaches it while it waits; it gives the permit back at its first event after
    /// `.started`, or at its end.
    func run(
        _ runtime: AgentRuntime, _ request: AgentRequest, control: RunControl = RunControl(), timeout: Duration? = nil,
        admitted: Bool = false,
        onEvent: @escaping @Sendable (AgentEvent) async throws -> Void = { _ in }
    ) async throws -> AgentResult {
        let timer = timeout.map {
            control.stop(after: $0, AgentError(.timeout, "Agent run timed out after \($0.milliseconds) ms."))
        }
        defer { timer?.cancel() }
        return try await track(request, control: control) {
            guard admitted else { return try await runtime.run(request, control: control, onEvent: onEvent) }
            let ticket = try await admission.enter()
            defer { ticket.release() }
            return try await runtime.run(request, control: control) { event in
                if case .started = event {} else { ticket.release() }
                try await onEvent(event)
            }
        }
    }
}
