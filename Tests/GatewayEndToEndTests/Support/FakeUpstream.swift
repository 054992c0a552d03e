import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OpenAIWire
import ServiceLifecycle

/// What the fake upstream saw.
struct RecordedRequest: Sendable {
    var authorization: String?
    var body: JSONValue
    var anthropicVersion: String? = nil
    /// Names of the tools offered (OpenAI `tools[].function.name` or Anthropic `tools[].name`).
    var toolNames: [String] {
        (body["tools"]?.arrayValue ?? []).compactMap { $0["function"]?["name"]?.stringValue ?? $0["name"]?.stringValue }
    }
    /// Messages with role `tool` (OpenAI shape).
    var toolMessages: [JSONValue] { messages.filter { $0["role"]?.stringValue == "tool" } }
    /// The text of the last Anthropic user message's text blocks.
    var anthropicLastText: String {
        let content = messages.last?["content"]
        if let text = content?.stringValue { return text }
        return (content?.arrayValue ?? []).compactMap { $0["text"]?.stringValue }.joined(separator: "\n")
    }
    var model: String { body["model"]?.stringValue ?? "" }
    var messages: [JSONValue] { body["messages"]?.arrayValue ?? [] }
    var systemPrompt: String { messages.first?["content"]?.stringValue ?? "" }
    /// The content of the last message (the current user turn).
    var lastContent: String { messages.last?["content"]?.stringValue ?? "" }
}

/// One scripted answer of the fake upstream.
enum FakeTurn: Sendable {
    /// Streams this text (in two pieces).
    case text(String)
    /// Some commentary (may be empty), then these tool calls.
    case toolCalls(String, [(id: String, name: String, arguments: String)])
    /// Answers with this HTTP status.
    case status(Int)
    /// Streams `tick` chunks 50 ms apart for this many chunks.
    case slow(Int)
    /// Streams the first half of this text, sends nothing for 6 s, then the rest.
    case stall(String)
}

/// Shared state of the fake upstream.
actor UpstreamRecorder {
    private(set) var requests: [RecordedRequest] = []
    /// Scripted answers, used in order before the model-name behaviours.
    private var script: [FakeTurn] = []

    func enqueue(_ turns: FakeTurn...) { script += turns }

    func nextTurn() -> FakeTurn? { script.isEmpty ? nil : script.removeFirst() }
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
/// - `crawl`: 400 chunks `tick ` 50 ms apart (20 s: a loaded machine cannot finish it before a
///   disconnect is noticed);
/// - `delayed`: one chunk after 1.5 s of silence;
/// - `held`: SSE comments only (`: waiting`, 50 ms apart) for 30 s, then one chunk: a model
///   that thinks for longer than any test waits, and still notices a closed connection;
/// - `stall`: one chunk, 6 s of silence, then 40 chunks `tick ` 50 ms apart (tests time out
///   after 2 s: ample margin both ways on a loaded machine);
/// - `status-<code>`: that HTTP status with an OpenAI error body;
/// - `burst`: three chunks (`one `, `two `, `three`) in one write, then 6 s of silence before
///   the finish (the gateway reads them at once and must not hold any back for more bytes);
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
            if let turn = await recorder.nextTurn() { return await respond(turn, recorder: recorder) }
            return await respond(to: recorded, recorder: recorder)
        }
        router.post("/v1/messages") { request, context -> Response in
            var request = request
            let buffer = try await request.collectBody(upTo: 50 * 1024 * 1024)
            let json = (try? JSONValue.parse(Data(buffer.readableBytesView))) ?? .null
            let recorded = RecordedRequest(
                authorization: request.headers[HTTPField.Name("x-api-key")!], body: json,
                anthropicVersion: request.headers[HTTPField.Name("anthropic-version")!])
            await recorder.begin(recorded)
            let turn = await recorder.nextTurn() ?? .text("claude: " + recorded.anthropicLastText)
            return await respondAnthropic(turn, recorder: recorder)
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

    static func sse(_ json: JSONValue) -> String { "data: " + json.jsonString() + "\n\n" }

    /// A scripted answer in the OpenAI shape.
    static func respond(_ turn: FakeTurn, recorder: UpstreamRecorder) async -> Response {
        var events: [String] = []
        var delay: Duration = .zero
        var pauseAfter: Int?
        switch turn {
        case .status(let code):
            await recorder.end(abandoned: false)
            return Response(
                status: .init(code: code), headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"error":{"message":"scripted \#(code)","type":"fake"}}"#)))
        case .text(let text):
            let half = text.count / 2
            for piece in [String(text.prefix(half)), String(text.dropFirst(half))] where !piece.isEmpty {
                events.append(chunk(.object(["content": .string(piece)])))
            }
            events.append(chunk(.object([:]), finish: "stop"))
        case .slow(let count):
            delay = .milliseconds(50)
            for _ in 0..<count { events.append(chunk(.object(["content": .string("tick ")]))) }
            events.append(chunk(.object([:]), finish: "stop"))
        case .stall(let text):
            let half = text.count / 2
            events.append(chunk(.object(["content": .string(String(text.prefix(half)))])))
            pauseAfter = 0
            delay = .milliseconds(50)  // writes spread out, so a closed connection is noticed
            events.append(chunk(.object(["content": .string(String(text.dropFirst(half)))])))
            events.append(chunk(.object([:]), finish: "stop"))
        case .toolCalls(let commentary, let calls):
            if !commentary.isEmpty { events.append(chunk(.object(["content": .string(commentary)]))) }
            for (index, call) in calls.enumerated() {
                let head: JSONValue = .object([
                    "index": .number(Double(index)), "id": .string(call.id), "type": .string("function"),
                    "function": .object(["name": .string(call.name), "arguments": .string("")]),
                ])
                events.append(chunk(.object(["tool_calls": .array([head])])))
                // Arguments arrive in fragments, as real servers send them.
                let half = call.arguments.count / 2
                for piece in [String(call.arguments.prefix(half)), String(call.arguments.dropFirst(half))] {
                    let part: JSONValue = .object([
                        "index": .number(Double(index)), "function": .object(["arguments": .string(piece)]),
                    ])
                    events.append(chunk(.object(["tool_calls": .array([part])])))
                }
            }
            events.append(chunk(.object([:]), finish: "tool_calls"))
        }
        events.append(sse(.object(["choices": .array([]), "usage": usage])))
        events.append("data: [DONE]\n\n")
        return streamed(events, delay: delay, pauseAfter: pauseAfter, recorder: recorder)
    }

    /// A scripted answer in the Anthropic Messages streaming shape.
    static func respondAnthropic(_ turn: FakeTurn, recorder: UpstreamRecorder) async -> Response {
        if case .status(let code) = turn {
            await recorder.end(abandoned: false)
            let type = code == 529 ? "overloaded_error" : code == 429 ? "rate_limit_error" : "api_error"
            return Response(
                status: .init(code: code), headers: [.contentType: "application/json"],
                body: .init(
                    byteBuffer: ByteBuffer(
                        string: #"{"type":"error","error":{"type":"\#(type)","message":"anthropic says \#(code)"}}"#)))
        }
        func event(_ name: String, _ json: JSONValue) -> String { "event: \(name)\n" + sse(json) }
        var events = [
            event(
                "message_start",
                .object([
                    "type": .string("message_start"),
                    "message": .object([
                        "id": .string("msg_1"), "type": .string("message"), "role": .string("assistant"),
                        "content": .array([]),
                        "usage": .object(["input_tokens": .number(21), "output_tokens": .number(1)]),
                    ]),
                ])),
            event("ping", .object(["type": .string("ping")])),
        ]
        var blockIndex = 0
        func textBlock(_ text: String) {
            events.append(
                event(
                    "content_block_start",
                    .object([
                        "type": .string("content_block_start"), "index": .number(Double(blockIndex)),
                        "content_block": .object(["type": .string("text"), "text": .string("")]),
                    ])))
            let half = text.count / 2
            for piece in [String(text.prefix(half)), String(text.dropFirst(half))] where !piece.isEmpty {
                events.append(
                    event(
                        "content_block_delta",
                        .object([
                            "type": .string("content_block_delta"), "index": .number(Double(blockIndex)),
                            "delta": .object(["type": .string("text_delta"), "text": .string(piece)]),
                        ])))
            }
            events.append(
                event(
                    "content_block_stop",
                    .object(["type": .string("content_block_stop"), "index": .number(Double(blockIndex))])))
            blockIndex += 1
        }
        var stopReason = "end_turn"
        var pauseAfter: Int?
        var delay: Duration = .zero
        switch turn {
        case .text(let text): textBlock(text)
        case .slow(let count): textBlock(String(repeating: "tick ", count: count))
        case .stall(let text):
            pauseAfter = events.count + 1  // after the block's start and its first delta
            textBlock(text)
            delay = .milliseconds(50)  // writes spread out, so a closed connection is noticed
        case .status: break
        case .toolCalls(let commentary, let calls):
            if !commentary.isEmpty { textBlock(commentary) }
            for call in calls {
                events.append(
                    event(
                        "content_block_start",
                        .object([
                            "type": .string("content_block_start"), "index": .number(Double(blockIndex)),
                            "content_block": .object([
                                "type": .string("tool_use"), "id": .string(call.id), "name": .string(call.name),
                                "input": .object([:]),
                            ]),
                        ])))
                let half = call.arguments.count / 2
                for piece in [String(call.arguments.prefix(half)), String(call.arguments.dropFirst(half))] {
                    events.append(
                        event(
                            "content_block_delta",
                            .object([
                                "type": .string("content_block_delta"), "index": .number(Double(blockIndex)),
                                "delta": .object([
                                    "type": .string("input_json_delta"), "partial_json": .string(piece),
                                ]),
                            ])))
                }
                events.append(
                    event(
                        "content_block_stop",
                        .object(["type": .string("content_block_stop"), "index": .number(Double(blockIndex))])))
                blockIndex += 1
            }
            stopReason = "tool_use"
        }
        events.append(
            event(
                "message_delta",
                .object([
                    "type": .string("message_delta"),
                    "delta": .object(["stop_reason": .string(stopReason)]),
                    "usage": .object(["output_tokens": .number(9)]),
                ])))
        events.append(event("message_stop", .object(["type": .string("message_stop")])))
        return streamed(events, delay: delay, pauseAfter: pauseAfter, recorder: recorder)
    }

    /// Writes `events`, `delay` apart, with 6 s of silence after the one at `pauseAfter`.
    static func streamed(
        _ events: [String], delay: Duration, pauseAfter: Int? = nil, recorder: UpstreamRecorder
    ) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                var abandoned = true
                defer { Task { [abandoned] in await recorder.end(abandoned: abandoned) } }
                for (index, event) in events.enumerated() {
                    try await writer.write(ByteBuffer(string: event))
                    if index == pauseAfter { try await Task.sleep(for: .seconds(6)) }
                    if delay > .zero { try await Task.sleep(for: delay) }
                }
                abandoned = false
                try await writer.finish(nil)
            })
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
        var stallAfterFirst: Duration = .zero
        var trailingError = false
        var comments = 0
        var burstThenStall = false
        switch model {
        case "slow":
            pieces = Array(repeating: "tick ", count: 40)
            delay = .milliseconds(50)
        case "crawl":
            pieces = Array(repeating: "tick ", count: 400)
            delay = .milliseconds(50)
        case "delayed":
            pieces = ["late"]
            initialDelay = .milliseconds(1500)
        case "held":
            pieces = ["late"]
            comments = 600
        case "stall":
            pieces = ["partial"] + Array(repeating: "tick ", count: 40)
            delay = .milliseconds(50)
            stallAfterFirst = .seconds(6)
        case "burst":
            pieces = ["one ", "two ", "three"]
            burstThenStall = true
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
        let (chunkDelay, firstDelay, stall, endsWithError) = (delay, initialDelay, stallAfterFirst, trailingError)
        let waitingComments = comments
        let burst = burstThenStall
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                var abandoned = true
                defer { Task { [abandoned] in await recorder.end(abandoned: abandoned) } }
                if firstDelay > .zero { try await Task.sleep(for: firstDelay) }
                for _ in 0..<waitingComments {
                    try await writer.write(ByteBuffer(string: ": waiting\n\n"))
                    try await Task.sleep(for: .milliseconds(50))
                }
                if burst {
                    try await writer.write(
                        ByteBuffer(string: pieces.map { chunk(.object(["content": .string($0)])) }.joined()))
                    try await Task.sleep(for: .seconds(6))
                }
                for (index, piece) in pieces.enumerated() where !piece.isEmpty && !burst {
                    try await writer.write(ByteBuffer(string: chunk(.object(["content": .string(piece)]))))
                    if index == 0, stall > .zero { try await Task.sleep(for: stall) }
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
