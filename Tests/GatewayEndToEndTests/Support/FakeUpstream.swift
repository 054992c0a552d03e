import Foundation
import Hummingbird
import Logging
import NIOCore
import OpenAIWire
import ServiceLifecycle

/// What the fake upstream saw.
struct RecordedRequest: Sendable {
    var authorization: String?
    var body: JSONValue
    var model: String { body["model"]?.stringValue ?? "" }
    var messages: [JSONValue] { body["messages"]?.arrayValue ?? [] }
    var systemPrompt: String { messages.first?["content"]?.stringValue ?? "" }
    /// The content of the last message (the current user turn).
    var lastContent: String { messages.last?["content"]?.stringValue ?? "" }
}

/// Shared state of the fake upstream.
actor UpstreamRecorder {
    private(set) var requests: [RecordedRequest] = []
    private(set) var active = 0
    private(set) var maxActive = 0
    /// Streams whose client went away before the fake finished writing.
    private(set) var abandoned = 0
    private(set) var completed = 0

    func begin(_ request: RecordedRequest) {
        requests.append(request)
        active += 1
        maxActive = max(maxActive, active)
    }

    func end(abandoned wasAbandoned: Bool) {
        active -= 1
        if wasAbandoned { abandoned += 1 } else { completed += 1 }
    }
}

/// An OpenAI-compatible upstream on loopback whose behaviour is chosen by the `model` it is
/// asked for:
/// - anything else: streams `echo:` + the last user message in three chunks, usage 11/3/14;
/// - `slow`: 40 chunks `tick ` 50 ms apart;
/// - `delayed`: one chunk after 1.5 s of silence;
/// - `status-<code>`: that HTTP status with an OpenAI error body;
/// - `stream-error`: one chunk, then `data: {"error":…}`;
/// - `json`: a non-stream `application/json` completion;
/// - `empty`: a stream with no content.
struct FakeUpstream: Sendable {
    let port: Int
    let recorder: UpstreamRecorder
    var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    static let usage: JSONValue = .object([
        "prompt_tokens": .number(11), "completion_tokens": .number(3), "total_tokens": .number(14),
    ])

    static func with<T: Sendable>(_ body: @Sendable (FakeUpstream) async throws -> T) async throws -> T {
        let recorder = UpstreamRecorder()
        let router = Router()
        router.post("/v1/chat/completions") { request, context -> Response in
            var request = request
            let buffer = try await request.collectBody(upTo: 50 * 1024 * 1024)
            let json = (try? JSONValue.parse(Data(buffer.readableBytesView))) ?? .null
            let recorded = RecordedRequest(authorization: request.headers[.authorization], body: json)
            await recorder.begin(recorded)
            return await respond(to: recorded, recorder: recorder)
        }
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "fake-upstream")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { portContinuation.yield($0.localAddress!.port!) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next()!
            do {
                let result = try await body(FakeUpstream(port: port, recorder: recorder))
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    static func chunk(_ delta: JSONValue, finish: String? = nil) -> String {
        let choice: JSONValue = .object([
            "index": .number(0), "delta": delta, "finish_reason": finish.map(JSONValue.string) ?? .null,
        ])
        return "data: " + JSONValue.object(["choices": .array([choice])]).jsonString() + "\n\n"
    }

    static func respond(to recorded: RecordedRequest, recorder: UpstreamRecorder) async -> Response {
        let model = recorded.model
        if model.hasPrefix("status-"), let code = Int(model.dropFirst(7)) {
            await recorder.end(abandoned: false)
            let body = JSONValue.object([
                "error": .object([
                    "message": .string("fake upstream says \(code)"), "type": .string("fake_error"),
                    "code": .string("fake_\(code)"),
                ])
            ])
            return Response(
                status: .init(code: code), headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: body.jsonString())))
        }
        if model == "json" {
            await recorder.end(abandoned: false)
            let body = JSONValue.object([
                "choices": .array([
                    .object([
                        "index": .number(0), "finish_reason": .string("stop"),
                        "message": .object(["role": .string("assistant"), "content": .string("whole answer")]),
                    ])
                ]),
                "usage": usage,
            ])
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: body.jsonString())))
        }
        let pieces: [String]
        var delay: Duration = .zero
        var initialDelay: Duration = .zero
        var trailingError = false
        switch model {
        case "slow":
            pieces = Array(repeating: "tick ", count: 40)
            delay = .milliseconds(50)
        case "delayed":
            pieces = ["late"]
            initialDelay = .milliseconds(1500)
        case "stream-error":
            pieces = ["partial"]
            trailingError = true
        case "empty":
            pieces = []
        default:
            let text = "echo: " + recorded.lastContent
            let third = max(1, text.count / 3)
            pieces = [String(text.prefix(third)), String(text.dropFirst(third).prefix(third)), String(text.dropFirst(2 * third))]
        }
        let (chunkDelay, firstDelay, endsWithError) = (delay, initialDelay, trailingError)
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                var abandoned = true
                defer { Task { [abandoned] in await recorder.end(abandoned: abandoned) } }
                if firstDelay > .zero { try await Task.sleep(for: firstDelay) }
                for piece in pieces where !piece.isEmpty {
                    try await writer.write(ByteBuffer(string: chunk(.object(["content": .string(piece)]))))
                    if chunkDelay > .zero { try await Task.sleep(for: chunkDelay) }
                }
                if endsWithError {
                    try await writer.write(
                        ByteBuffer(string: #"data: {"error":{"message":"boom mid-stream","type":"server_error"}}"# + "\n\n"))
                    abandoned = false
                    try await writer.finish(nil)
                    return
                }
                try await writer.write(ByteBuffer(string: chunk(.object([:]), finish: "stop")))
                try await writer.write(
                    ByteBuffer(string: "data: " + JSONValue.object(["choices": .array([]), "usage": usage]).jsonString() + "\n\n"))
                try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                abandoned = false
                try await writer.finish(nil)
            })
    }
}
