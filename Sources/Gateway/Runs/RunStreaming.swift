import AgentRuntime
import Foundation
import ModelProviders
import NIOCore
import OpenAIWire

/// Runs one agent turn behind a streamed response (chat completions, responses).
///
/// The run starts as soon as the request is validated (`start`), before Hummingbird writes the
/// response head: its set-up and upstream request overlap the head's write, and the first token
/// comes back that much sooner (issue 6). Its events go to `onEvent` in the run's own task, as
/// they happen, so a face writes each one straight to its `EventStreamOutput` (which keeps what
/// is written before the head): no queue and no task hop per chunk. The response body then
/// waits for the run (`outcome`), writing `: ping` after `keepAliveSeconds` of silence.
///
/// The run is the task of a `RunControl`, registered in `runs` so `chat.abort` can stop it. A
/// client that disconnects stops the control, which cancels the run and its upstream model
/// call (O2, D-5), also when the body never got to wait for it. A run first waits for a permit
/// of `runs.admission` (a burst of new streams must not stall the open ones; see
/// `RunRegistry.run(admitted:)`).
enum RunStreaming {
    /// A run in flight; `outcome` waits for it.
    struct Started: Sendable {
        fileprivate let control: RunControl
        fileprivate let task: Task<AgentResult, any Error>
        fileprivate let closeWatch: ClientConnection.CloseRegistration
        fileprivate let connection: ClientConnection

        /// Stops the run (its response cannot be written).
        func stop() {
            control.stop(CancellationError())
        }
    }

    /// Starts the run now, on `connection`'s event loop; `ended` is called when it has ended.
    static func start(
        runtime: AgentRuntime, runs: RunRegistry, request: AgentRequest, connection: ClientConnection,
        ended: @escaping @Sendable () -> Void = {}, onEvent: @escaping @Sendable (AgentEvent) async throws -> Void
    ) -> Started {
        let control = RunControl()
        let closeWatch = connection.stopOnClose(control)
        let task = control.start(preferring: EventLoopExecutor.of(connection.channel.eventLoop)) {
            defer { ended() }
            return try await runs.run(runtime, request, control: control, admitted: true, onEvent: onEvent)
        }
        return Started(control: control, task: task, closeWatch: closeWatch, connection: connection)
    }

    /// Waits for the run, writing `: ping` to `output` after `keepAliveSeconds` of silence.
    /// - Returns: the finished run, or the failure to report in the stream (M8, Q4).
    /// - Throws: `CancellationError` when the client went away (nothing more to write).
    static func outcome(
        of run: Started, keepAliveSeconds: Double, output: EventStreamOutput
    ) async throws -> Result<AgentResult, GatewayError> {
        defer { run.closeWatch.remove() }
        let tick: Duration? = keepAliveSeconds > 0 ? .nanoseconds(Int64(keepAliveSeconds * 1_000_000_000)) : nil
        let silence = (tick ?? .zero) * 0.99
        do {
            let result = try await run.control.wait(
                for: run.task, tickEvery: tick, onTick: { try? await output.writeIfSilent(SSE.ping, after: silence) })
            return .success(result)
        } catch {
            if error is CancellationError || run.control.stopReason is CancellationError || run.connection.isClosed {
                throw CancellationError()
            }
            return .failure(GatewayError.fromRun(error))
        }
    }
}
