import AgentRuntime
import Foundation
import Hummingbird
import NIOCore
import OpenAIWire
import SessionStore
import NIOConcurrencyHelpers

/// Q4: one agent run as the Responses event stream — `event: <type>` + `data: <json>` per
/// event: `response.created`, `response.in_progress`, the message item (added, content part
/// added, `response.output_text.delta`…, text done, part done, item done), function-call items,
/// then `response.completed` (or `response.failed`) and `data: [DONE]`.
struct ResponsesStream: Sendable {
    let runtime: AgentRuntime
    let runs: RunRegistry
    let prepared: ResponsesEndpoint.Prepared
    let keepAliveSeconds: Double
    let connection: ClientConnection
    let sessions: ResponseSessions

    /// Numbers events and frames them.
    private struct Framer {
        var sequence = 0

        mutating func event(_ type: String, _ fields: [String: JSONValue]) -> String {
            var object = fields
            object["type"] = .string(type)
            object["sequence_number"] = .number(Double(sequence))
            sequence += 1
            return "event: \(type)\ndata: \(JSONValue.object(object).jsonString())\n\n"
        }
    }

    /// Starts the run now (before the head is written) and returns the response that streams it.
    func response() -> Response {
        let object = ResponseObject(prepared: prepared, createdAt: Int(Date().timeIntervalSince1970))
        let textFields: [String: JSONValue] = [
            "item_id": .string(object.messageId), "output_index": .number(0), "content_index": .number(0),
        ]
        // Touched by the run's task while it runs, then by the body's.
        let state = NIOLockedValueBox(TextState())
        let output = EventStreamOutput(
            first: state.withLockedValue { s in
                s.framer.event("response.created", ["response": object.inProgress])
                    + s.framer.event("response.in_progress", ["response": object.inProgress])
            })
        let run = RunStreaming.start(
            runtime: runtime, runs: runs, request: prepared.agentRequest, connection: connection
        ) { event in
            if case .flush = event { return try await output.flush() }
            guard case .assistantDelta(let delta, _, let batched) = event, !delta.isEmpty else { return }
            let out = state.withLockedValue { s in
                var out = s.messageOpen ? "" : s.openMessage(object, textFields)
                s.text += delta
                out += s.framer.event(
                    "response.output_text.delta",
                    textFields.merging(["delta": .string(delta), "logprobs": .array([])]) { $1 })
                return out
            }
            try await output.write(out, flush: !batched)
        }
        return RunIntake.eventStream(output: output, run: run) {
            let outcome = try await RunStreaming.outcome(of: run, keepAliveSeconds: keepAliveSeconds, output: output)
            try await finish(outcome, object: object, textFields: textFields, state: state, output: output)
        }
    }

    private func finish(
        _ outcome: Result<AgentResult, GatewayError>, object: ResponseObject, textFields: [String: JSONValue],
        state: NIOLockedValueBox<TextState>, output: EventStreamOutput
    ) async throws {
        var s = state.withLockedValue { $0 }
        switch outcome {
        case .success(let result):
            sessions.remember(prepared)
            var out = ""
            var outputIndex = 0
            let finalText = ResponseObject.text(of: result)
            if !s.messageOpen, !finalText.isEmpty {
                out += s.openMessage(object, textFields)
                out += s.framer.event(
                    "response.output_text.delta",
                    textFields.merging(["delta": .string(finalText), "logprobs": .array([])]) { $1 })
                s.text = finalText
            }
            if s.messageOpen {
                out += s.framer.event("response.output_text.done", textFields.merging(["text": .string(s.text)]) { $1 })
                out += s.framer.event(
                    "response.content_part.done",
                    textFields.merging(["part": ResponseObject.textPart(s.text)]) { $1 })
                out += s.framer.event(
                    "response.output_item.done",
                    ["output_index": .number(0), "item": object.messageItem(text: s.text, status: "completed")])
                outputIndex = 1
            }
            var callIds: [String] = []
            for call in result.toolCalls {
                let itemId = "call_" + RandomID.uuidString()
                callIds.append(itemId)
                let index: JSONValue = .number(Double(outputIndex))
                out += s.framer.event(
                    "response.output_item.added",
                    [
                        "output_index": index,
                        "item": ResponseObject.functionCallItem(call, itemId: itemId, status: "in_progress", arguments: ""),
                    ])
                out += s.framer.event(
                    "response.function_call_arguments.delta",
                    ["item_id": .string(itemId), "output_index": index, "delta": .string(call.arguments)])
                out += s.framer.event(
                    "response.function_call_arguments.done",
                    ["item_id": .string(itemId), "output_index": index, "arguments": .string(call.arguments)])
                out += s.framer.event(
                    "response.output_item.done",
                    [
                        "output_index": index,
                        "item": ResponseObject.functionCallItem(call, itemId: itemId, status: "completed"),
                    ])
                outputIndex += 1
            }
            out += s.framer.event("response.completed", ["response": object.finished(result, callItemIds: callIds)])
            try await output.write(out + SSE.done)
        case .failure(let error):
            try await output.write(s.framer.event("response.failed", ["response": object.failed(error)]) + SSE.done)
        }
    }

    /// The message item as streamed so far.
    private struct TextState {
        var framer = Framer()
        var messageOpen = false
        var text = ""

        mutating func openMessage(_ object: ResponseObject, _ textFields: [String: JSONValue]) -> String {
            messageOpen = true
            return framer.event(
                "response.output_item.added",
                ["output_index": .number(0), "item": object.messageItem(text: "", status: "in_progress")])
                + framer.event(
                    "response.content_part.added", textFields.merging(["part": ResponseObject.textPart("")]) { $1 })
        }
    }
}
