import AgentRuntime
import Foundation
import Hummingbird
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
        let id = prepared.agentRequest.runId
        let model = prepared.model
        let created = Int(Date().timeIntervalSince1970)
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
                group.addTask {
                    while true {
                        try await Task.sleep(for: .seconds(interval))
                        continuation.yield(.tick)
                    }
                }
            }
            defer { group.cancelAll() }

            // M3: the role chunk goes out at once.
            try await writer.write(Self.buffer(SSE.data(ChatCompletionChunk.role(id: id, created: created, model: model))))
            var streamedText = false
            var lastWrite = ContinuousClock.now
            loop: for await item in items {
                switch item {
                case .event(.assistantDelta(let delta, _)):
                    guard !delta.isEmpty else { continue }
                    streamedText = true
                    try await writer.write(
                        Self.buffer(SSE.data(ChatCompletionChunk.content(delta, id: id, created: created, model: model))))
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
                        out += SSE.data(ChatCompletionChunk.content(text, id: id, created: created, model: model))
                    }
                    out += SSE.data(ChatCompletionChunk.finish(result.finishReason, id: id, created: created, model: model))
                    if prepared.includeUsage {
                        out += SSE.data(
                            ChatCompletionChunk.usage(result.usage.chatUsage, id: id, created: created, model: model))
                    }
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
