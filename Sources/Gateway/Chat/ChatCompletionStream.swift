import AgentRuntime
import Foundation
import Hummingbird
import ModelProviders
import NIOCore
import OpenAIWire

/// Writes one agent run as `chat.completion.chunk` events (M1–M8, D-4).
///
/// The run goes in a child task and reports into an `AsyncStream`; this task writes each item
/// as it arrives (every write is flushed), and a ticker adds `: ping` after silence. When the
/// client's connection closes, leaving the task group cancels the run and its upstream request.
struct ChatCompletionStream: Sendable {
    let runtime: AgentRuntime
    let prepared: ChatCompletionsEndpoint.Prepared
    let keepAliveSeconds: Double
    let connection: ClientConnection

    private enum Item: Sendable {
        case event(AgentEvent)
        case finished(AgentResult)
        case failed(GatewayError)
        case tick
        case clientGone
    }

    func write(to writer: inout any ResponseBodyWriter) async throws {
        let chunks = ChunkEncoder(
            id: prepared.agentRequest.runId, created: Int(Date().timeIntervalSince1970), model: prepared.model)
        let (items, continuation) = AsyncStream.makeStream(of: Item.self)
        let runtime = self.runtime
        let agentRequest = prepared.agentRequest

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    let result = try await runtime.run(agentRequest) { event in continuation.yield(.event(event)) }
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
                let interval = keepAliveSeconds
                let eventLoop = connection.channel.eventLoop
                group.addTask {
                    while true {
                        try await TimerSleep.sleep(for: .seconds(interval), on: eventLoop)
                        continuation.yield(.tick)
                    }
                }
            }
            defer { group.cancelAll() }

            // M3: the role chunk goes out at once.
            try await writer.write(Self.buffer(chunks.role()))
            var streamedText = false
            var lastWrite = ContinuousClock.now
            loop: for await item in items {
                switch item {
                case .event(.assistantDelta(let delta, _)):
                    guard !delta.isEmpty else { continue }
                    streamedText = true
                    try await writer.write(Self.buffer(chunks.content(delta)))
                    lastWrite = .now
                case .event:
                    continue
                case .tick:
                    if ContinuousClock.now - lastWrite >= .seconds(keepAliveSeconds) * 0.99 {
                        try await writer.write(Self.buffer(SSE.ping))
                        lastWrite = .now
                    }
                case .finished(let result):
                    var out = ""
                    if !streamedText {
                        // M5: nothing streamed → the whole answer in one chunk.
                        let text = result.text.isEmpty ? ChatCompletionsEndpoint.emptyReply : result.text
                        out += chunks.content(text)
                    }
                    out += chunks.finish(result.finishReason)
                    if prepared.includeUsage { out += chunks.usage(result.usage.chatUsage) }
                    out += SSE.done
                    try await writer.write(Self.buffer(out))
                    break loop
                case .clientGone:
                    // O2: stop writing; leaving the group cancels the run and its upstream call.
                    throw CancellationError()
                case .failed(let error):
                    // M8: the error as a data line, then [DONE].
                    try await writer.write(Self.buffer(SSE.data(error.envelope) + SSE.done))
                    break loop
                }
            }
        }
    }

    static func buffer(_ text: String) -> ByteBuffer {
        ByteBuffer(string: text)
    }
}
