import AgentRuntime
import Foundation
import GatewayConfig
import Hummingbird
import Logging
import ModelProviders
import NIOCore
import NIOFoundationCompat
import OpenAIWire
import SessionStore
import Synchronization

/// `POST /v1/responses` (OpenResponses, Q1–Q4, B4): the same agent run as chat completions,
/// answered as a `response` object or its event stream.
struct ResponsesEndpoint: Sendable {
    let runtime: AgentRuntime
    let runs: RunRegistry
    let keepAliveSeconds: Double
    let bodyTimeout: Duration
    var authIsNone = false
    let sessions = ResponseSessions()

    struct Prepared: PreparedRun {
        var agentRequest: AgentRequest
        var model: String
        var stream: Bool
        var user: String?
        var echo: ResponseObject.Echo
    }

    func handle(_ request: Request, context: GatewayContext) async throws -> Response {
        try await RunIntake.handle(connection: context.connection) { control in
            let prepared = try await RunIntake.prepare(
                request, context: context, control: control, bodyTimeout: bodyTimeout, endpoint: "response", prepare)
            if prepared.stream {
                let stream = ResponsesStream(
                    runtime: runtime, runs: runs, prepared: prepared, keepAliveSeconds: keepAliveSeconds,
                    connection: context.connection, sessions: sessions)
                return stream.response()
            }
            return try await complete(prepared, control: control)
        }
    }

    func prepare(_ request: Request, body: ByteBuffer) throws(RequestValidationError) -> Prepared {
        let data = Data(buffer: body)
        let value: JSONValue
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            value = .object([:])
        } else {
            do {
                value = try JSONValue.parse(data)
            } catch {
                throw RequestValidationError(error.message)
            }
        }
        let input = try ResponsesInput.translate(value)
        let parsed: ChatCompletionRequest
        var agentRequest: AgentRequest
        do {
            parsed = try ChatCompletionRequest.parse(input.chatBody)
            agentRequest = try ChatCompletionsEndpoint.agentRequest(
                parsed, headers: request.headers, catalog: runtime.catalog, sessionPrefix: "openresponses",
                runId: "resp_" + RandomID.uuidString(), authIsNone: authIsNone, extraSystem: input.fileText)
        } catch {
            throw Self.renamed(error)
        }
        let user = parsed.user?.trimmingCharacters(in: .whitespaces).lowercased()
        if let previous = input.previousResponseId {
            agentRequest.sessionKey = try sessions.continuation(
                of: previous, agentId: agentRequest.agentId, user: user,
                sessionKeyHeader: request.headers.first(.openclawSessionKey))
        }
        let echo = ResponseObject.Echo(
            instructions: value["instructions"]?.stringValue, previousResponseId: input.previousResponseId,
            temperature: parsed.sampling.temperature, topP: parsed.sampling.topP,
            tools: value["tools"]?.arrayValue ?? [], toolChoice: value["tool_choice"] ?? .string("auto"))
        return Prepared(
            agentRequest: agentRequest, model: parsed.model.flatMap { $0.isEmpty ? nil : $0 } ?? "openclaw",
            stream: parsed.stream, user: user, echo: echo)
    }

    /// Messages of the shared validation speak of chat-completions fields; say `input` here.
    static func renamed(_ error: RequestValidationError) -> RequestValidationError {
        var message = error.message
        if message == ChatMessagesFlattener.missingUserMessage { return RequestValidationError(ResponsesInput.missingInput) }
        message = message.replacingOccurrences(of: "`messages`", with: "`input`")
            .replacingOccurrences(of: "`max_tokens`", with: "`max_output_tokens`")
        if message.hasPrefix("max_tokens") { message = "max_output_tokens" + message.dropFirst("max_tokens".count) }
        return RequestValidationError(message)
    }

    /// Q3: run to completion, then one `response` object; a failed run is 500 `status: failed`.
    /// Runs as `control`'s work, which a client that leaves stops (O2).
    func complete(_ prepared: Prepared, control: RunControl) async throws -> Response {
        let object = ResponseObject(prepared: prepared, createdAt: Int(Date().timeIntervalSince1970))
        do {
            let result = try await runs.run(runtime, prepared.agentRequest, control: control)
            sessions.remember(prepared)
            return Self.json(.ok, object.finished(result))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            let failure = GatewayError.fromRun(error)
            return Self.json(.internalServerError, object.failed(failure))
        }
    }

    static func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: value.jsonString())))
    }
}

/// Which session each response continued, so `previous_response_id` can continue it (Q2):
/// only for the same agent and the same `user`. Kept in memory for the most recent 10,000
/// responses; an unknown id is a 400 that says so, never silently a fresh session.
final class ResponseSessions: Sendable {
    struct Record: Sendable {
        var sessionKey: String
        var agentId: String
        var user: String?
    }

    private struct State {
        var records: [String: Record] = [:]
        var order: [String] = []
    }
    private let state = Mutex(State())
    static let capacity = 10_000

    func remember(_ prepared: ResponsesEndpoint.Prepared) {
        let record = Record(
            sessionKey: prepared.agentRequest.sessionKey, agentId: prepared.agentRequest.agentId, user: prepared.user)
        state.withLock { s in
            s.records[prepared.agentRequest.runId] = record
            s.order.append(prepared.agentRequest.runId)
            if s.order.count > Self.capacity {
                let evicted = s.order.removeFirst()
                s.records[evicted] = nil
            }
        }
    }

    /// The session key to continue, or a 400 that says why not.
    func continuation(
        of responseId: String, agentId: String, user: String?, sessionKeyHeader: String?
    ) throws(RequestValidationError) -> String {
        guard let record = state.withLock({ $0.records[responseId] }) else {
            throw RequestValidationError(
                "previous_response_id '\(responseId)' is unknown: it was not created by this gateway or has expired.")
        }
        guard record.agentId == agentId else {
            throw RequestValidationError(
                "previous_response_id '\(responseId)' belongs to agent '\(record.agentId)', not '\(agentId)'.")
        }
        guard record.user == user else {
            throw RequestValidationError("previous_response_id '\(responseId)' belongs to a different `user`.")
        }
        if let header = sessionKeyHeader?.trimmingCharacters(in: .whitespaces), !header.isEmpty,
            header != record.sessionKey
        {
            throw RequestValidationError(
                "`x-openclaw-session-key` does not match the session of previous_response_id '\(responseId)'.")
        }
        return record.sessionKey
    }
}

/// The `response` object (Q3) in its states.
struct ResponseObject: Sendable {
    /// Request fields echoed back, as OpenAI does.
    struct Echo: Sendable {
        var instructions: String?
        var previousResponseId: String?
        var temperature: Double?
        var topP: Double?
        var tools: [JSONValue]
        var toolChoice: JSONValue
    }

    let id: String
    let model: String
    let createdAt: Int
    let echo: Echo
    let messageId = "msg_" + RandomID.uuidString()

    init(prepared: ResponsesEndpoint.Prepared, createdAt: Int) {
        self.id = prepared.agentRequest.runId
        self.model = prepared.model
        self.createdAt = createdAt
        self.echo = prepared.echo
    }

    func base(status: String, output: [JSONValue], usage: JSONValue = .null, error: JSONValue = .null) -> JSONValue {
        .object([
            "id": .string(id), "object": .string("response"), "created_at": .number(Double(createdAt)),
            "status": .string(status), "model": .string(model), "output": .array(output), "usage": usage,
            "error": error, "incomplete_details": .null,
            "instructions": echo.instructions.map(JSONValue.string) ?? .null,
            "previous_response_id": echo.previousResponseId.map(JSONValue.string) ?? .null,
            "temperature": echo.temperature.map(JSONValue.number) ?? .null,
            "top_p": echo.topP.map(JSONValue.number) ?? .null,
            "tools": .array(echo.tools), "tool_choice": echo.toolChoice, "parallel_tool_calls": .bool(true),
            "metadata": .object([:]), "text": .object(["format": .object(["type": .string("text")])]),
        ])
    }

    var inProgress: JSONValue { base(status: "in_progress", output: []) }

    func messageItem(text: String, status: String) -> JSONValue {
        .object([
            "type": .string("message"), "id": .string(messageId), "status": .string(status),
            "role": .string("assistant"),
            "content": status == "in_progress" && text.isEmpty ? .array([]) : .array([Self.textPart(text)]),
        ])
    }

    static func textPart(_ text: String) -> JSONValue {
        .object(["type": .string("output_text"), "text": .string(text), "annotations": .array([])])
    }

    static func functionCallItem(_ call: ToolCall, itemId: String, status: String, arguments: String? = nil) -> JSONValue {
        .object([
            "type": .string("function_call"), "id": .string(itemId), "call_id": .string(call.id),
            "name": .string(call.name), "arguments": .string(arguments ?? call.arguments), "status": .string(status),
        ])
    }

    static func usage(_ result: AgentResult) -> JSONValue {
        let u = result.usage.chatUsage
        return .object([
            "input_tokens": .number(Double(u.promptTokens)), "output_tokens": .number(Double(u.completionTokens)),
            "total_tokens": .number(Double(u.totalTokens)),
            "input_tokens_details": .object(["cached_tokens": .number(Double(result.usage.cacheReadTokens))]),
            "output_tokens_details": .object(["reasoning_tokens": .number(Double(result.usage.reasoningTokens))]),
        ])
    }

    /// The text shown for the run (L2's fallback when there is neither text nor a call).
    static func text(of result: AgentResult) -> String {
        result.text.isEmpty && result.toolCalls.isEmpty ? ChatCompletionsEndpoint.emptyReply : result.text
    }

    /// Q3: `completed`, or `incomplete` when the model hit its token limit; all pending
    /// client calls as `function_call` items after the message.
    func finished(_ result: AgentResult, callItemIds: [String]? = nil) -> JSONValue {
        let text = Self.text(of: result)
        var output: [JSONValue] = []
        if !text.isEmpty { output.append(messageItem(text: text, status: "completed")) }
        for (i, call) in result.toolCalls.enumerated() {
            output.append(
                Self.functionCallItem(
                    call, itemId: callItemIds?[i] ?? "call_" + RandomID.uuidString(), status: "completed"))
        }
        let status = result.finishReason == "length" ? "incomplete" : "completed"
        guard case .object(var object) = base(status: status, output: output, usage: Self.usage(result)) else {
            return .null
        }
        if status == "incomplete" {
            object["incomplete_details"] = .object(["reason": .string("max_output_tokens")])
        }
        return .object(object)
    }

    func failed(_ error: GatewayError) -> JSONValue {
        base(
            status: "failed", output: [],
            error: .object(["code": .string(error.type), "message": .string(error.message)]))
    }
}
