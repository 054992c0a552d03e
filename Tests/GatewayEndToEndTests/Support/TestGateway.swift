import AsyncHTTPClient
import Foundation
import Gateway
import GatewayConfig
import GatewayProtocol
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import OpenAIWire
import ServiceLifecycle

/// A running gateway on an ephemeral loopback port with its own temp state directory.
struct TestGateway: Sendable {
    static let token = "test-token-123"

    let port: Int
    let statePaths: StatePaths
    /// A client of this gateway only: pooled connections never outlive it (ports get reused).
    let client: HTTPClient
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The config most tests use: token auth, chat completions on, default model from the fake.
    static func config(
        upstream: FakeUpstream, model: String = "fake/echo", agentsList: String = "[]", extra: String = ""
    ) -> String {
        """
        {
          gateway: {
            auth: { mode: "token", token: "\(token)" },
            http: { endpoints: { chatCompletions: { enabled: true } }, sseKeepAliveSeconds: 0 },
          },
          models: { providers: { fake: { baseUrl: "\(upstream.baseURL)", apiKey: "upstream-key" } } },
          agents: { defaults: { model: "\(model)" }, list: \(agentsList) },
          \(extra)
        }
        """
    }

    /// Starts a gateway with `configText` (JSON5), runs `body`, then shuts it down gracefully.
    static func with<T: Sendable>(
        config configText: String, environment: [String: String] = [:],
        shutdownGrace: Duration = .seconds(10), bodyTimeout: Duration = .seconds(30),
        tickInterval: Duration = .seconds(30), maxBufferedBytes: Int = ControlProtocol.maxBufferedBytes,
        streamStartPermits: Int = 8 * System.coreCount, streamStartHoldLimit: Duration = .milliseconds(25),
        _ body: @Sendable (TestGateway) async throws -> T
    ) async throws -> T {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("openclaw-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let statePaths = StatePaths(root: root.path)
        let loaded = try ConfigLoader.parse(Data(configText.utf8))
        let settings = try GatewaySettings.resolve(
            config: loaded.config, environment: environment, overrides: .init(port: 0))
        let options = GatewayOptions(
            settings: settings, config: loaded.config, statePaths: statePaths, environment: environment,
            shutdownGrace: shutdownGrace, bodyTimeout: bodyTimeout, tickInterval: tickInterval,
            maxBufferedBytes: maxBufferedBytes, streamStartPermits: streamStartPermits,
            streamStartHoldLimit: streamStartHoldLimit)
        var logger = Logger(label: "test-gateway")
        logger.logLevel = ProcessInfo.processInfo.environment["TEST_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .critical
        let server = GatewayServer(options: options, logger: logger)

        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let (groups, groupContinuation) = AsyncStream.makeStream(of: ServiceGroup.self)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                // Finishing the streams lets a start-up failure reach the test instead of a hang.
                defer {
                    groupContinuation.finish()
                    portContinuation.finish()
                }
                try await server.run(signals: [], onGroup: { groupContinuation.yield($0) }) { port in
                    portContinuation.yield(port)
                }
            }
            var groupIterator = groups.makeAsyncIterator()
            var portIterator = ports.makeAsyncIterator()
            guard let group = await groupIterator.next(), let port = await portIterator.next() else {
                try await tasks.waitForAll()
                throw ProcessTestError("the gateway stopped before it was ready")
            }
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
            let gateway = TestGateway(port: port, statePaths: statePaths, client: client)
            let outcome: Result<T, any Error>
            do {
                outcome = .success(try await body(gateway))
            } catch {
                outcome = .failure(error)
            }
            try await client.shutdown()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try outcome.get()
        }
    }

    /// Starts a fake upstream and a gateway configured for it.
    static func withUpstream<T: Sendable>(
        model: String = "fake/echo", agentsList: String = "[]", extraConfig: String = "",
        _ body: @Sendable (TestGateway, FakeUpstream) async throws -> T
    ) async throws -> T {
        try await FakeUpstream.with { upstream in
            let text = config(upstream: upstream, model: model, agentsList: agentsList, extra: extraConfig)
            return try await TestGateway.with(config: text) { gateway in
                try await body(gateway, upstream)
            }
        }
    }

    // MARK: - HTTP helpers

    struct HTTPResult: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: String
        var json: JSONValue? { try? JSONValue.parse(Data(body.utf8)) }
        var errorMessage: String? { json?["error"]?["message"]?.stringValue }
        var errorType: String? { json?["error"]?["type"]?.stringValue }
    }

    static let authHeaders: [(String, String)] = [
        ("Authorization", "Bearer \(token)"), ("Content-Type", "application/json"),
    ]

    func request(
        _ method: HTTPMethod = .POST, _ path: String = "/v1/chat/completions", headers: [(String, String)] = authHeaders,
        body: String? = nil
    ) async throws -> HTTPResult {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 50 * 1024 * 1024)
        return HTTPResult(status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes))
    }

    /// POSTs a chat completion; `extraHeaders` are added to the auth headers.
    func chat(_ body: String, extraHeaders: [(String, String)] = []) async throws -> HTTPResult {
        try await request(headers: Self.authHeaders + extraHeaders, body: body)
    }

    /// SSE `data:` payloads of a streamed response, and the raw text.
    func stream(_ body: String, extraHeaders: [(String, String)] = []) async throws -> (HTTPResult, [String]) {
        let result = try await chat(body, extraHeaders: extraHeaders)
        var decoder = SSEDecoder()
        let events = decoder.feed(Array(result.body.utf8)) + decoder.finish()
        return (result, events)
    }
}

/// Simple chat body with one user message.
func chatBody(_ text: String, model: String = "openclaw", stream: Bool = false, extra: String = "") -> String {
    let message = JSONValue.string(text).jsonString()
    return #"{"model":"\#(model)","stream":\#(stream),"messages":[{"role":"user","content":\#(message)}]\#(extra)}"#
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(5), _ condition: @Sendable () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return await condition()
}

extension RawSocket {
    /// Writes a POST of a JSON `body` to `path` with the test gateway's credentials.
    func post(_ path: String, _ body: String) async throws {
        let headers = TestGateway.authHeaders.map { "\($0.0): \($0.1)\r\n" }.joined()
        try await write(
            "POST \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + headers + "Content-Length: \(body.utf8.count)\r\n\r\n" + body)
    }
}
