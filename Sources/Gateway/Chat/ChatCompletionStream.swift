import AgentRuntime
import Foundation
import Hummingbird
import ModelProviders
import NIOCore
import OpenAIWire

/// Writes one agent run as `chat.completion.chunk` events (M1–M8, D-4).
///
/// `RunEventPump` runs the turn in a child task; this task writes each item as it arrives
/// (every write is flushed) and adds `: ping` after silence. When the client's connection
/// closes, leaving the pump cancels the run and its upstream request.
struct ChatCompletionStream: Sendable {
    let runtime: AgentRuntime
    let runs: RunRegistry
    let prepared: ChatCompletionsEndpoint.Prepared
    let keepAliveSeconds: Double
    let streamToolActivity: Bool
    let connection: ClientConnection

    func write(to writer: inout any ResponseBodyWriter) async throws {
        let chunks = ChunkEncoder(
            id: prepared.agentRequest.runId, created: Int(Date().timeIntervalSince1970), model: prepared.model)
        try await RunEventPump.pump(
            runtime: runtime, runs: runs, request: prepared.agentRequest, connection: connection,
            keepAliveSeconds: keepAliveSeconds
        ) { items in
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
                case .event(.toolStarted(let id, let name, let arguments)) where streamToolActivity:
                    try await writer.write(
                        Self.buffer(ToolActivity.started(callId: id, name: name, arguments: arguments)))
                    lastWrite = .now
                case .event(.toolFinished(let id, let name, let isError, let output)) where streamToolActivity:
                    try await writer.write(
                        Self.buffer(ToolActivity.finished(callId: id, name: name, isError: isError, output: output)))
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
                    if !streamedText, !(result.text.isEmpty && !result.toolCalls.isEmpty) {
                        // M5: nothing streamed → the whole answer in one chunk.
                        let text = result.text.isEmpty ? ChatCompletionsEndpoint.emptyReply : result.text
                        out += chunks.content(text)
                    }
                    // M7: pending client tool calls, after the commentary.
                    for (index, call) in result.toolCalls.enumerated() {
                        out += chunks.toolCall(index: index, id: call.id, name: call.name, arguments: call.arguments)
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
