import AgentRuntime
import Foundation
import Hummingbird
import NIOCore
import OpenAIWire
import SessionStore

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

    func write(to writer: inout any ResponseBodyWriter) async throws {
        let object = ResponseObject(prepared: prepared, createdAt: Int(Date().timeIntervalSince1970))
        var framer = Framer()
        try await writer.write(
            ByteBuffer(
                string: framer.event("response.created", ["response": object.inProgress])
                    + framer.event("response.in_progress", ["response": object.inProgress])))
        let messageId = object.messageId
        let textFields: [String: JSONValue] = [
            "item_id": .string(messageId), "output_index": .number(0), "content_index": .number(0),
        ]
        var messageOpen = false
        var text = ""
        var lastWrite = ContinuousClock.now

        func openMessage() -> String {
            messageOpen = true
            return framer.event(
                "response.output_item.added",
                ["output_index": .number(0), "item": object.messageItem(text: "", status: "in_progress")])
                + framer.event(
                    "response.content_part.added", textFields.merging(["part": ResponseObject.textPart("")]) { $1 })
        }

        try await RunEventPump.pump(
            runtime: runtime, runs: runs, request: prepared.agentRequest, connection: connection,
            keepAliveSeconds: keepAliveSeconds
        ) { items in
            loop: for await item in items {
                switch item {
                case .event(.assistantDelta(let delta, _)):
                    guard !delta.isEmpty else { continue }
                    var out = messageOpen ? "" : openMessage()
                    text += delta
                    out += framer.event(
                        "response.output_text.delta",
                        textFields.merging(["delta": .string(delta), "logprobs": .array([])]) { $1 })
                    try await writer.write(ByteBuffer(string: out))
                    lastWrite = .now
                case .event:
                    continue
                case .tick:
                    if ContinuousClock.now - lastWrite >= .seconds(keepAliveSeconds) * 0.99 {
                        try await writer.write(ByteBuffer(string: SSE.ping))
                        lastWrite = .now
                    }
                case .finished(let result):
                    sessions.remember(prepared)
                    var out = ""
                    var outputIndex = 0
                    let finalText = ResponseObject.text(of: result)
                    if !messageOpen, !finalText.isEmpty {
                        out += openMessage()
                        out += framer.event(
                            "response.output_text.delta",
                            textFields.merging(["delta": .string(finalText), "logprobs": .array([])]) { $1 })
                        text = finalText
                    }
                    if messageOpen {
                        out += framer.event("response.output_text.done", textFields.merging(["text": .string(text)]) { $1 })
                        out += framer.event(
                            "response.content_part.done",
                            textFields.merging(["part": ResponseObject.textPart(text)]) { $1 })
                        out += framer.event(
                            "response.output_item.done",
                            ["output_index": .number(0), "item": object.messageItem(text: text, status: "completed")])
                        outputIndex = 1
                    }
                    var callIds: [String] = []
                    for call in result.toolCalls {
                        let itemId = "call_" + RandomID.uuidString()
                        callIds.append(itemId)
                        let index: JSONValue = .number(Double(outputIndex))
                        out += framer.event(
                            "response.output_item.added",
                            [
                                "output_index": index,
                                "item": ResponseObject.functionCallItem(
                                    call, itemId: itemId, status: "in_progress", arguments: ""),
                            ])
                        out += framer.event(
                            "response.function_call_arguments.delta",
                            ["item_id": .string(itemId), "output_index": index, "delta": .string(call.arguments)])
                        out += framer.event(
                            "response.function_call_arguments.done",
                            ["item_id": .string(itemId), "output_index": index, "arguments": .string(call.arguments)])
                        out += framer.event(
                            "response.output_item.done",
                            [
                                "output_index": index,
                                "item": ResponseObject.functionCallItem(call, itemId: itemId, status: "completed"),
                            ])
                        outputIndex += 1
                    }
                    out += framer.event(
                        "response.completed", ["response": object.finished(result, callItemIds: callIds)])
                    out += SSE.done
                    try await writer.write(ByteBuffer(string: out))
                    break loop
                case .failed(let error):
                    let out =
                        framer.event("response.failed", ["response": object.failed(error)]) + SSE.done
                    try await writer.write(ByteBuffer(string: out))
                    break loop
                case .clientGone:
                    throw CancellationError()
                }
            }
        }
    }
}
