import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import OpenAIWire

/// Anthropic's Messages API (`api: "anthropic-messages"`, V2), streamed: `POST <base>/v1/messages`
/// with `x-api-key` and `anthropic-version`, the system prompt in `system`, tools as
/// `{name, description, input_schema}`, images as base64 `image` blocks, tool calls and results
/// as `tool_use` / `tool_result` blocks. Text deltas are reported as they arrive; failures are
/// classified like the OpenAI provider's (L4).
public struct AnthropicProvider: ModelProvider {
    public let id: String
    let messagesURL: String
    let apiKey: String?
    let headers: [String: String]
    /// One client per event loop; a call uses the calling loop's.
    let clients: UpstreamClients
    let headTimeout: TimeAmount
    /// Silence allowed while waiting for the response (head or body bytes) inside a run.
    let idleTimeout: TimeAmount
    /// `max_tokens` is required by the API; used when the request sets none.
    let defaultMaxTokens: Int
    let logger: Logger

    public static let apiVersion = "2023-06-01"

    public init(
        id: String, baseURL: String, apiKey: String?, headers: [String: String] = [:], clients: UpstreamClients,
        headTimeout: TimeAmount = .seconds(300), idleTimeout: TimeAmount = .seconds(120), defaultMaxTokens: Int = 4096,
        logger: Logger
    ) {
        self.id = id
        var base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        if !base.hasSuffix("/v1") { base += "/v1" }
        self.messagesURL = base + "/messages"
        self.apiKey = apiKey
        self.headers = headers
        self.clients = clients
        self.headTimeout = headTimeout
        self.idleTimeout = idleTimeout
        self.defaultMaxTokens = defaultMaxTokens
        self.logger = logger
    }

    public func complete(
        _ request: ModelRequest, onEvent: (ModelStreamEvent) async throws -> Void
    ) async throws -> ModelResponse {
        var http = HTTPClientRequest(url: messagesURL)
        http.method = .POST
        http.headers.add(name: "content-type", value: "application/json")
        http.headers.add(name: "accept", value: "text/event-stream")
        http.headers.add(name: "anthropic-version", value: Self.apiVersion)
        if let apiKey, !apiKey.isEmpty { http.headers.add(name: "x-api-key", value: apiKey) }
        for (name, value) in headers { http.headers.replaceOrAdd(name: name, value: value) }
        http.body = .bytes(ByteBuffer(string: Self.body(request, defaultMaxTokens: defaultMaxTokens).jsonString()))

        let client = clients.current
        let watch = UpstreamIdleWatch.start(timeout: idleTimeout, provider: id, client: client)
        defer { watch?.stop() }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(http, timeout: headTimeout, logger: logger)
        } catch {
            throw OpenAICompatibleProvider.classify(error, provider: id)
        }
        watch?.touch()
        guard (200..<300).contains(response.status.code) else {
            let body = try? await response.body.collect(upTo: OpenAICompatibleProvider.maxBufferedBody)
            let parsed = body.flatMap { try? JSONValue.parse(Data(buffer: $0)) }
            let error = parsed?["error"]
            let fallback = body.map { String(buffer: $0) }.flatMap { $0.isEmpty ? nil : String($0.prefix(500)) }
            let type = error?["type"]?.stringValue
            var failure = ProviderError.fromStatus(
                Int(response.status.code), provider: id, message: error?["message"]?.stringValue ?? fallback,
                type: type, code: type)
            if type == "overloaded_error" { failure.kind = .overloaded }
            throw failure
        }
        do {
            return try await readStream(response.body, watch: watch, onEvent: onEvent)
        } catch let error as ProviderError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw OpenAICompatibleProvider.classify(error, provider: id)
        }
    }

    private func readStream(
        _ body: HTTPClientResponse.Body, watch: UpstreamIdleWatch?, onEvent: (ModelStreamEvent) async throws -> Void
    ) async throws -> ModelResponse {
        var decoder = SSEDecoder()
        var state = StreamState()
        streaming: for try await buffer in body {
            watch?.touch()
            for event in decoder.feed(buffer.readableBytesView) {
                guard try await handle(event, &state, onEvent) else { break streaming }
            }
        }
        for event in decoder.finish() { _ = try await handle(event, &state, onEvent) }
        let calls = state.blocks.keys.sorted().compactMap { index -> ToolCall? in
            guard let block = state.blocks[index], let name = block.name else { return nil }
            return ToolCall(id: block.id ?? "toolu_\(index)", name: name, arguments: block.json.isEmpty ? "{}" : block.json)
        }
        let finish: String? =
            switch state.stopReason {
            case "max_tokens": "length"
            case "tool_use": "tool_calls"
            case nil: nil
            default: "stop"
            }
        return ModelResponse(text: state.text, toolCalls: calls, usage: state.usage, finishReason: finish)
    }

    private struct StreamState {
        struct Block {
            var id: String?
            var name: String?
            var json = ""
        }
        var text = ""
        var blocks: [Int: Block] = [:]
        var usage = ModelUsage()
        var stopReason: String?
    }

    /// One streamed event; false when the message is complete.
    private func handle(
        _ data: String, _ state: inout StreamState, _ onEvent: (ModelStreamEvent) async throws -> Void
    ) async throws -> Bool {
        guard let event = try? JSONValue.parse(Data(data.utf8)), let type = event["type"]?.stringValue else {
            logger.debug("ignoring undecodable upstream event", metadata: ["upstream.provider": "\(id)"])
            return true
        }
        switch type {
        case "message_start":
            let usage = event["message"]?["usage"]
            state.usage.inputTokens = usage?["input_tokens"]?.intValue ?? 0
            state.usage.cacheReadTokens = usage?["cache_read_input_tokens"]?.intValue ?? 0
            state.usage.outputTokens = usage?["output_tokens"]?.intValue ?? 0
        case "content_block_start":
            let index = event["index"]?.intValue ?? state.blocks.count
            let block = event["content_block"]
            if block?["type"]?.stringValue == "tool_use" {
                state.blocks[index] = StreamState.Block(
                    id: block?["id"]?.stringValue, name: block?["name"]?.stringValue)
            } else if let text = block?["text"]?.stringValue, !text.isEmpty {
                state.text += text
                try await onEvent(.textDelta(text))
            }
        case "content_block_delta":
            let delta = event["delta"]
            switch delta?["type"]?.stringValue {
            case "text_delta":
                if let text = delta?["text"]?.stringValue, !text.isEmpty {
                    state.text += text
                    try await onEvent(.textDelta(text))
                }
            case "input_json_delta":
                let index = event["index"]?.intValue ?? 0
                state.blocks[index, default: StreamState.Block()].json += delta?["partial_json"]?.stringValue ?? ""
            default:
                break  // thinking and signature deltas are not shown
            }
        case "message_delta":
            if let reason = event["delta"]?["stop_reason"]?.stringValue { state.stopReason = reason }
            if let output = event["usage"]?["output_tokens"]?.intValue { state.usage.outputTokens = output }
            if let input = event["usage"]?["input_tokens"]?.intValue, input > 0 { state.usage.inputTokens = input }
        case "message_stop":
            return false
        case "error":
            let error = event["error"]
            let errorType = error?["type"]?.stringValue
            throw ProviderError(
                kind: errorType == "overloaded_error" ? .overloaded : .serverError, provider: id,
                message: error?["message"]?.stringValue ?? "upstream stream error", code: errorType)
        default:
            break  // ping, content_block_stop
        }
        return true
    }

    /// The Messages API request body.
    static func body(_ request: ModelRequest, defaultMaxTokens: Int) -> JSONValue {
        var system: [String] = []
        var messages: [(role: String, blocks: [JSONValue])] = []
        func append(_ role: String, _ blocks: [JSONValue]) {
            guard !blocks.isEmpty else { return }
            // The API wants alternating roles: merge consecutive messages of one role.
            if let last = messages.last, last.role == role {
                messages[messages.count - 1].blocks += blocks
            } else {
                messages.append((role, blocks))
            }
        }
        for message in request.messages {
            switch message.role {
            case .system:
                system.append(message.content)
            case .user:
                var blocks: [JSONValue] = message.images.map { image in
                    .object([
                        "type": .string("image"),
                        "source": .object([
                            "type": .string("base64"), "media_type": .string(image.mimeType),
                            "data": .string(image.base64Data),
                        ]),
                    ])
                }
                if !message.content.isEmpty {
                    blocks.append(.object(["type": .string("text"), "text": .string(message.content)]))
                }
                append("user", blocks)
            case .assistant:
                var blocks: [JSONValue] = []
                if !message.content.isEmpty {
                    blocks.append(.object(["type": .string("text"), "text": .string(message.content)]))
                }
                for call in message.toolCalls {
                    let input = (try? JSONValue.parse(Data(call.arguments.utf8))).flatMap { $0.objectValue }
                    blocks.append(
                        .object([
                            "type": .string("tool_use"), "id": .string(call.id), "name": .string(call.name),
                            "input": .object(input ?? [:]),
                        ]))
                }
                append("assistant", blocks)
            case .tool:
                append(
                    "user",
                    [
                        .object([
                            "type": .string("tool_result"), "tool_use_id": .string(message.toolCallId ?? ""),
                            "content": .string(message.content),
                        ])
                    ])
            }
        }
        var body: [String: JSONValue] = [
            "model": .string(request.model),
            "max_tokens": .number(Double(request.sampling.maxTokens ?? defaultMaxTokens)),
            "stream": .bool(true),
            "messages": .array(
                messages.map { .object(["role": .string($0.role), "content": .array($0.blocks)]) }),
        ]
        let systemText = system.filter { !$0.isEmpty }.joined(separator: "\n\n")
        if !systemText.isEmpty { body["system"] = .string(systemText) }
        if !request.tools.isEmpty {
            body["tools"] = .array(
                request.tools.map { tool in
                    .object([
                        "name": .string(tool.name), "description": .string(tool.description),
                        "input_schema": tool.parameters,
                    ])
                })
        }
        let s = request.sampling
        if let t = s.temperature { body["temperature"] = .number(min(t, 1)) }
        if let p = s.topP { body["top_p"] = .number(p) }
        if let stop = s.stop, !stop.isEmpty { body["stop_sequences"] = .array(stop.map(JSONValue.string)) }
        return .object(body)
    }
}

extension JSONValue {
    /// The value as an integer, when it is a whole number.
    var intValue: Int? {
        guard let number = doubleValue, number.rounded() == number, abs(number) < 1e15 else { return nil }
        return Int(number)
    }
}
