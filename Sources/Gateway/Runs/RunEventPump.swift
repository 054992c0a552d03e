import AgentRuntime
import ModelProviders
import Foundation
import NIOCore

/// What a streaming face receives while one agent run goes on.
enum RunItem: Sendable {
    case event(AgentEvent)
    case finished(AgentResult)
    case failed(GatewayError)
    /// `keepAliveSeconds` passed; the face may write a keep-alive.
    case tick
    /// The client's connection closed.
    case clientGone
}

/// Runs an agent turn in a child task and hands its events, in order, to `consume`, together
/// with keep-alive ticks (an event-loop timer) and the client's disconnect. The run is
/// registered in `runs`, so `chat.abort` can stop it; a stop (abort, the agent's timeout, the
/// client leaving) reaches `consume` at once as `.failed` or `.clientGone`. Returning from
/// `consume` (or throwing) cancels the run and with it the upstream model call (O2, D-5).
enum RunEventPump {
    static func pump(
        runtime: AgentRuntime, runs: RunRegistry, request: AgentRequest, connection: ClientConnection,
        keepAliveSeconds: Double,
        consume: (AsyncStream<RunItem>) async throws -> Void
    ) async throws {
        let (items, continuation) = AsyncStream.makeStream(of: RunItem.self)
        let control = RunControl { reason in
            continuation.yield(reason is CancellationError ? .clientGone : .failed(GatewayError.fromRun(reason)))
        }
        try await connection.stopOnClose(control) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        let result = try await control.adopt {
                            try await runs.run(runtime, request, control: control) { event in
                                continuation.yield(.event(event))
                            }
                        }
                        continuation.yield(.finished(result))
                    } catch is CancellationError {
                        // The consumer is gone; nothing to report.
                    } catch {
                        continuation.yield(.failed(GatewayError.fromRun(error)))
                    }
                    continuation.finish()
                }
                var ticker: RepeatedTask?
                if keepAliveSeconds > 0 {
                    let every = TimeAmount.nanoseconds(Int64(keepAliveSeconds * 1_000_000_000))
                    ticker = connection.channel.eventLoop.scheduleRepeatedTask(initialDelay: every, delay: every) { _ in
                        continuation.yield(.tick)
                    }
                }
                defer {
                    ticker?.cancel()
                    group.cancelAll()
                }
                try await consume(items)
            }
        }
    }
}
