import AgentRuntime
import ModelProviders
import Foundation

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
/// with keep-alive ticks and the client's disconnect. The run is registered in `runs`, so
/// `chat.abort` can stop it. Returning from `consume` (or throwing)
/// cancels the run and with it the upstream model call (O2, D-5).
enum RunEventPump {
    static func pump(
        runtime: AgentRuntime, runs: RunRegistry, request: AgentRequest, connection: ClientConnection,
        keepAliveSeconds: Double,
        consume: (AsyncStream<RunItem>) async throws -> Void
    ) async throws {
        let (items, continuation) = AsyncStream.makeStream(of: RunItem.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    let result = try await runs.run(runtime, request) { event in
                        continuation.yield(.event(event))
                    }
                    continuation.yield(.finished(result))
                } catch is CancellationError {
                    // The consumer is gone; nothing to report.
                } catch {
                    continuation.yield(.failed(GatewayError.fromRun(error)))
                }
                continuation.finish()
            }
            group.addTask {
                await connection.waitForClose()
                if !Task.isCancelled { continuation.yield(.clientGone) }
            }
            if keepAliveSeconds > 0 {
                let eventLoop = connection.channel.eventLoop
                group.addTask {
                    while true {
                        // An event-loop timer: removed on cancellation, unlike Task.sleep's.
                        try await TimerSleep.sleep(for: .seconds(keepAliveSeconds), on: eventLoop)
                        continuation.yield(.tick)
                    }
                }
            }
            defer { group.cancelAll() }
            try await consume(items)
        }
    }
}
