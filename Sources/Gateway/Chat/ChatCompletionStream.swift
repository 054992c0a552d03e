import AgentRuntime
import Foundation
import Hummingbird
import ModelProviders
import NIOCore
import OpenAIWire
import NIOConcurrencyHelpers

/// Streams one agent run as `chat.completion.chunk` events (M1–M8, D-4).
///
/// The run starts when the response is made (`response()`), before its head is written; each
/// text delta is written (and flushed) by the run's task as it arrives from the model
/// (`RunStreaming`); `: ping` follows silence. When the client's connection closes, the run
/// and its upstream request are cancelled.
struct ChatCompletionStream: Sendable {
    let runtime: AgentRuntime
    let runs: RunRegistry
    let prepared: ChatCompletionsEndpoint.Prepared
    let keepAliveSeconds: Double
    let streamToolActivity: Bool
    let connection: ClientConnection
    /// Told about a stateless session until the run has ended.
    let sessions: FreshSessions?

    func response() -> Response {
        let chunks = ChunkEncoder(
            id: prepared.agentRequest.runId, created: Int(Date().timeIntervalSince1970), model: prepared.model)
        // M3: the role chunk goes out first, with the head.
        let output = EventStreamOutput(first: chunks.role())
        let streamedText = NIOLockedValueBox(false)
        let streamToolActivity = self.streamToolActivity
        let key = prepared.agentRequest.sessionKey
        sessions?.markNew(key)
        let run = RunStreaming.start(
            runtime: runtime, runs: runs, request: prepared.agentRequest, connection: connection,
            ended: { [sessions] in sessions?.forget(key) }
        ) { event in
            switch event {
            case .assistantDelta(let delta, _, let batched):
                guard !delta.isEmpty else { return }
                streamedText.withLockedValue { $0 = true }
                // One chunk per delta (M4); deltas that came in one upstream read after the
                // first go out together, in one write.
                try await output.write(chunks.content(delta), flush: !batched)
            case .flush:
                try await output.flush()
            case .toolStarted(let id, let name, let arguments) where streamToolActivity:
                try await output.write(ToolActivity.started(callId: id, name: name, arguments: arguments))
            case .toolFinished(let id, let name, let isError, let text) where streamToolActivity:
                try await output.write(ToolActivity.finished(callId: id, name: name, isError: isError, output: text))
            default:
                return
            }
        }
        return RunIntake.eventStream(output: output, run: run) { [prepared, keepAliveSeconds] in
            let outcome = try await RunStreaming.outcome(of: run, keepAliveSeconds: keepAliveSeconds, output: output)
            switch outcome {
            case .success(let result):
                var out = ""
                if !streamedText.withLockedValue({ $0 }), !(result.text.isEmpty && !result.toolCalls.isEmpty) {
                    // M5: nothing streamed → the whole answer in one chunk.
                    out += chunks.content(result.text.isEmpty ? ChatCompletionsEndpoint.emptyReply : result.text)
                }
                // M7: pending client tool calls, after the commentary.
                for (index, call) in result.toolCalls.enumerated() {
                    out += chunks.toolCall(index: index, id: call.id, name: call.name, arguments: call.arguments)
                }
                out += chunks.finish(result.finishReason)
                if prepared.includeUsage { out += chunks.usage(result.usage.chatUsage) }
                try await output.write(out + SSE.done)
            case .failure(let error):
                // M8: the error as a data line, then [DONE].
                try await output.write(SSE.data(error.envelope) + SSE.done)
            }
        }
    }
}
