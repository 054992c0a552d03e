import AgentRuntime
import Foundation
import NIOCore
import OpenAIWire

/// Runs one agent turn behind a streamed response (chat completions, responses).
///
/// The run's events go to `onEvent` in the run's own task, as they happen, so a face writes
/// each one straight to its `EventStreamOutput`: no queue and no task hop per chunk. The run is
/// the one child task of a `RunControl`, registered in `runs` so `chat.abort` can stop it; the
/// waiting task writes `: ping` after `keepAliveSeconds` of silence. A client that disconnects
/// stops the control, which cancels the run and its upstream model call (O2, D-5).
///
/// A run first waits for a permit of `runs.admission` (a burst of new streams must not stall
/// the open ones; see `RunRegistry.run(admitted:)`).
enum RunStreaming {
    /// - Returns: the finished run, or the failure to report in the stream (M8, Q4).
    /// - Throws: `CancellationError` when the client went away (nothing more to write).
    static func run(
        runtime: AgentRuntime, runs: RunRegistry, request: AgentRequest, connection: ClientConnection,
        keepAliveSeconds: Double, output: EventStreamOutput,
        onEvent: @escaping @Sendable (AgentEvent) async throws -> Void
    ) async throws -> Result<AgentResult, GatewayError> {
        let control = RunControl()
        let tick: Duration? = keepAliveSeconds > 0 ? .nanoseconds(Int64(keepAliveSeconds * 1_000_000_000)) : nil
        let silence = (tick ?? .zero) * 0.99
        do {
            let result = try await connection.stopOnClose(control) {
                try await control.run(
                    tickEvery: tick, onTick: { try? await output.writeIfSilent(SSE.ping, after: silence) }
                ) {
                    try await runs.run(
                        runtime, request, control: control, admitted: true, onEvent: onEvent)
                }
            }
            return .success(result)
        } catch {
            if error is CancellationError || control.stopReason is CancellationError || connection.isClosed {
                throw CancellationError()
            }
            return .failure(GatewayError.fromRun(error))
        }
    }
}
