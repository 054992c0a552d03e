import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import OpenAIWire

/// Any server speaking OpenAI Chat Completions (`api: "openai-completions"`), truly streamed:
/// each upstream SSE event becomes a `textDelta` as soon as its bytes arrive.
public struct OpenAICompatibleProvider: ModelProvider {
    public let id: String
    let baseURL: String
    let apiKey: String?
    let headers: [String: String]
    /// One client per event loop; a call uses the calling loop's.
    let clients: UpstreamClients
    /// Time allowed until the response head arrives.
    let headTimeout: TimeAmount
    /// Silence allowed while waiting for the response (head or body bytes) inside a run.
    let idleTimeout: TimeAmount
    let logger: Logger

    /// Upper bound on an error body or a non-stream answer we will read.
    static let maxBufferedBody = 8 * 1024 * 1024

    public init(
        id: String, baseURL: String, apiKey: String?, headers: [String: String] = [:], clients: UpstreamClients,
        headTimeout: TimeAmount = .seconds(300), idleTimeout: TimeAmount = .seconds(120), logger: Logger
    ) {
        self.id = id
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.headers = headers
        self.clients = clients
        self.headTimeout = headTimeout
        self.idleTimeout = idleTimeout
        self.logger = logger
    }

    public func complete(
        _ request: ModelRequest, onEvent: (ModelStreamEvent) async throws -> Void
    ) async throws -> ModelResponse {
        var http = HTTPClientRequest(url: baseURL + "/chat/completions")
        http.method = .POST
        http.headers.add(name: "content-type", value: "application/json")
        http.headers.add(name: "accept", value: request.stream ? "text/event-stream" : "application/json")
        if let apiKey, !apiKey.isEmpty { http.headers.add(name: "authorization", value: "Bearer \(apiKey)") }
        for (name, value) in headers { http.headers.replaceOrAdd(name: name, value: value) }
        http.body = .bytes(ByteBuffer(string: UpstreamChatBody.json(request)))

        let started = ContinuousClock.now
        let client = clients.current
        let watch = UpstreamIdleWatch.start(timeout: idleTimeout, provider: id, client: client)
        defer { watch?.stop() }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(http, timeout: headTimeout, logger: logger)
        } catch {
            throw Self.classify(error, provider: id)
        }
        watch?.touch()
        logger.debug(
            "upstream response head",
            metadata: [
                "upstream.provider": "\(id)", "upstream.status": "\(response.status.code)",
                "upstream.duration_ms": "\((ContinuousClock.now - started).milliseconds)",
            ])

        guard (200..<300).contains(response.status.code) else {
            let body = try? await response.body.collect(upTo: Self.maxBufferedBody)
            let decoded = body.flatMap { try? JSONDecoder().decode(UpstreamChunk.self, from: Data(buffer: $0)) }
            let fallback = body.map { String(buffer: $0) }.flatMap { $0.isEmpty ? nil : String($0.prefix(500)) }
            throw ProviderError.fromStatus(
                Int(response.status.code), provider: id, message: decoded?.error?.message ?? fallback,
                type: decoded?.error?.type, code: decoded?.error?.code?.text)
        }

        let contentType = response.headers.first(name: "content-type")?.lowercased() ?? ""
        do {
            if contentType.hasPrefix("text/event-stream") {
                return try await readStream(response.body, watch: watch, onEvent: onEvent)
            }
            return try await readWhole(response.body, onEvent: onEvent)
        } catch let error as ProviderError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw Self.classify(error, provider: id)
        }
    }

    private func readStream(
        _ body: HTTPClientResponse.Body, watch: UpstreamIdleWatch?, onEvent: (ModelStreamEvent) async throws -> Void
    ) async throws -> ModelResponse {
        var decoder = SSEDecoder()
        var text = ""
        var usage = ModelUsage()
        var finishReason: String?
        var tools = ToolCallAccumulator()

        // Text deltas reported from the current read: the first goes out unbatched, the rest
        // batched, then a `flush` (see `ModelStreamEvent`).
        var deltasInRead = 0

        func handle(_ event: String) async throws -> Bool {
            if event == "[DONE]" { return false }
            guard let chunk = UpstreamChunk.decode(event) else {
                logger.debug("ignoring undecodable upstream event", metadata: ["upstream.provider": "\(id)"])
                return true
            }
            if let error = chunk.error {
                throw ProviderError(
                    kind: .serverError, provider: id, message: error.message ?? "upstream stream error",
                    code: error.code?.text)
            }
            if let u = chunk.usage { usage = u.modelUsage }
            for choice in chunk.choices ?? [] {
                if let delta = choice.delta {
                    if let content = delta.content, !content.isEmpty {
                        text += content
                        try await onEvent(.textDelta(content, batched: deltasInRead > 0))
                        deltasInRead += 1
                    }
                    for (i, call) in (delta.toolCalls ?? []).enumerated() { tools.add(call, fallbackIndex: i) }
                }
                if let reason = choice.finishReason { finishReason = reason }
            }
            return true
        }

        /// The events of one read, then the flush their batched deltas need; false once the
        /// stream said `[DONE]`.
        func handleRead(_ events: [String]) async throws -> Bool {
            deltasInRead = 0
            var open = true
            for event in events where open { open = try await handle(event) }
            if deltasInRead > 1 { try await onEvent(.flush) }
            return open
        }

        for try await buffer in body {
            watch?.touch()
            guard try await handleRead(decoder.feed(buffer.readableBytesView)) else { break }
        }
        _ = try await handleRead(decoder.finish())
        return ModelResponse(text: text, toolCalls: tools.toolCalls, usage: usage, finishReason: finishReason)
    }

    private func readWhole(
        _ body: HTTPClientResponse.Body, onEvent: (ModelStreamEvent) async throws -> Void
    ) async throws -> ModelResponse {
        let buffer = try await body.collect(upTo: Self.maxBufferedBody)
        let parsed = buffer.withUnsafeReadableBytes { bytes in
            try? JSONReader.read(bytes) { reader throws(JSONReaderError) in try UpstreamChunk(reader: &reader) }
        }
        guard let chunk = parsed else {
            throw ProviderError(kind: .serverError, provider: id, message: "upstream sent an unreadable answer")
        }
        let choice = chunk.choices?.first
        let text = choice?.message?.content ?? choice?.delta?.content ?? ""
        if !text.isEmpty { try await onEvent(.textDelta(text)) }
        var tools = ToolCallAccumulator()
        for (i, call) in (choice?.message?.toolCalls ?? []).enumerated() { tools.add(call, fallbackIndex: i) }
        return ModelResponse(
            text: text, toolCalls: tools.toolCalls, usage: chunk.usage?.modelUsage ?? ModelUsage(),
            finishReason: choice?.finishReason)
    }

    /// Maps transport errors onto failover kinds (V1, L4).
    static func classify(_ error: any Error, provider: String) -> any Error {
        if error is CancellationError || error is ProviderError { return error }
        if let e = error as? HTTPClientError {
            switch e {
            case .cancelled: return CancellationError()
            case .readTimeout, .deadlineExceeded, .connectTimeout, .writeTimeout:
                return ProviderError(kind: .timeout, provider: provider, message: "upstream provider timeout")
            case .remoteConnectionClosed:
                return ProviderError(kind: .serverError, provider: provider, message: "upstream closed the connection")
            default:
                return ProviderError(kind: .connection, provider: provider, message: "upstream connection failed: \(e)")
            }
        }
        return ProviderError(kind: .connection, provider: provider, message: "upstream connection failed: \(error)")
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (s, a) = components
        return s * 1000 + a / 1_000_000_000_000_000
    }
}
