// openclaw-fake-upstream: a fast fake OpenAI-compatible upstream for `make bench` (issue 6).
//
// Raw SwiftNIO, no Foundation: every response byte is prepared once at start-up, a request body
// is only byte-searched for `"stream":true`, and stream chunks are paced by the event loop's
// timer (`scheduleTask`), never by sleeping a thread, so thousands of open streams cost nothing
// but their sockets.
//
//   POST /v1/chat/completions  (or /chat/completions)
//     body contains "stream":true  → SSE: N `chat.completion.chunk` events with content "tok ",
//                                     the first at once and then one every D ms, then a finish
//                                     chunk, a usage chunk and `data: [DONE]`. With D = 0 the
//                                     whole stream is written in one go.
//     otherwise                    → a canned `chat.completion` with usage, at once.
//   GET /health                    → 200 {"ok":true}
//
// Flags: --port N (0 picks one), --chunks N (50), --chunk-delay-ms D (20), --threads T (cores),
//        --host H (127.0.0.1). Prints `listening on http://127.0.0.1:PORT` once bound.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOHTTP1
import NIOPosix

struct Options: Sendable {
    var host = "127.0.0.1"
    var port = 0
    var chunks = 50
    var chunkDelayMs = 20
    var threads = System.coreCount

    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var rest = arguments.dropFirst()[...]
        func value(_ flag: String) -> String {
            guard let v = rest.popFirst() else { die("\(flag) needs a value") }
            return v
        }
        func int(_ flag: String, min: Int) -> Int {
            let text = value(flag)
            guard let n = Int(text), n >= min else { die("\(flag): expected an integer ≥ \(min), got \(text)") }
            return n
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--host": options.host = value(flag)
            case "--port": options.port = int(flag, min: 0)
            case "--chunks": options.chunks = int(flag, min: 0)
            case "--chunk-delay-ms": options.chunkDelayMs = int(flag, min: 0)
            case "--threads": options.threads = int(flag, min: 1)
            case "-h", "--help":
                writeOut(
                    "usage: openclaw-fake-upstream [--port N] [--chunks N] [--chunk-delay-ms D] [--threads T] [--host H]\n")
                exit(0)
            default: die("unknown argument \(flag)")
            }
        }
        return options
    }
}

func writeOut(_ text: String, fd: Int32 = 1) {
    var text = text
    text.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n <= 0 { return }
            offset += n
        }
    }
}

func die(_ message: String) -> Never {
    writeOut("openclaw-fake-upstream: \(message)\n", fd: 2)
    exit(2)
}

/// Every byte the server sends, built once.
struct Canned: Sendable {
    let chunk: ByteBuffer
    let tail: ByteBuffer
    let completion: ByteBuffer
    let completionLength: String
    let health: ByteBuffer
    let notFound: ByteBuffer

    init(chunks: Int) {
        let meta = #""id":"chatcmpl-fake","created":1700000000,"model":"bench""#
        let usage =
            #"{"prompt_tokens":10,"completion_tokens":\#(chunks),"total_tokens":\#(chunks + 10)}"#
        chunk = ByteBuffer(
            string: #"data: {\#(meta),"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"tok "},"finish_reason":null}]}"#
                + "\n\n")
        tail = ByteBuffer(
            string: #"data: {\#(meta),"object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#
                + "\n\n"
                + #"data: {\#(meta),"object":"chat.completion.chunk","choices":[],"usage":\#(usage)}"# + "\n\n"
                + "data: [DONE]\n\n")
        let content = String(repeating: "tok ", count: chunks)
        completion = ByteBuffer(
            string:
                #"{\#(meta),"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"\#(content)"},"finish_reason":"stop"}],"usage":\#(usage)}"#
        )
        completionLength = String(completion.readableBytes)
        health = ByteBuffer(string: #"{"ok":true}"#)
        notFound = ByteBuffer(string: #"{"error":{"message":"not found","type":"invalid_request_error"}}"#)
    }
}

/// True if `haystack` contains `"stream":true` (or `"stream": true`).
func wantsStream(_ body: ByteBuffer) -> Bool {
    let needle = Array(#""stream""#.utf8)
    return body.withUnsafeReadableBytes { raw -> Bool in
        let count = raw.count
        guard count >= needle.count else { return false }
        var i = 0
        while i + needle.count <= count {
            if raw[i] == UInt8(ascii: "\"") {
                var match = true
                for j in 1..<needle.count where raw[i + j] != needle[j] {
                    match = false
                    break
                }
                if match {
                    var k = i + needle.count
                    while k < count, raw[k] == UInt8(ascii: " ") || raw[k] == UInt8(ascii: ":") { k += 1 }
                    if k + 4 <= count, raw[k] == UInt8(ascii: "t"), raw[k + 1] == UInt8(ascii: "r"),
                        raw[k + 2] == UInt8(ascii: "u"), raw[k + 3] == UInt8(ascii: "e")
                    {
                        return true
                    }
                    i = k
                    continue
                }
            }
            i += 1
        }
        return false
    }
}

final class FakeUpstreamHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let canned: Canned
    private let chunks: Int
    private let delay: TimeAmount
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    /// The pending timer of the stream in progress, if any.
    private var scheduled: Scheduled<Void>?

    init(canned: Canned, chunks: Int, delayMs: Int) {
        self.canned = canned
        self.chunks = chunks
        self.delay = .milliseconds(Int64(delayMs))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body?.clear()
        case .body(var part):
            if body == nil {
                body = part
            } else {
                body!.writeBuffer(&part)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            respond(context: context, head: head)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        scheduled?.cancel()
        scheduled = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        scheduled?.cancel()
        scheduled = nil
        context.close(promise: nil)
    }

    private func respond(context: ChannelHandlerContext, head: HTTPRequestHead) {
        let keepAlive = head.isKeepAlive
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        if head.method == .POST, path == "/v1/chat/completions" || path == "/chat/completions" {
            if let body, wantsStream(body) {
                startStream(context: context, version: head.version, keepAlive: keepAlive)
            } else {
                sendWhole(
                    context: context, version: head.version, keepAlive: keepAlive, status: .ok,
                    body: canned.completion, length: canned.completionLength)
            }
        } else if head.method == .GET, path == "/health" || path == "/v1/health" {
            sendWhole(
                context: context, version: head.version, keepAlive: keepAlive, status: .ok, body: canned.health,
                length: String(canned.health.readableBytes))
        } else {
            sendWhole(
                context: context, version: head.version, keepAlive: keepAlive, status: .notFound,
                body: canned.notFound, length: String(canned.notFound.readableBytes))
        }
        body?.clear()
    }

    private func sendWhole(
        context: ChannelHandlerContext, version: HTTPVersion, keepAlive: Bool, status: HTTPResponseStatus,
        body: ByteBuffer, length: String
    ) {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: length)
        if !keepAlive { headers.add(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        end(context: context, keepAlive: keepAlive)
    }

    private func end(context: ChannelHandlerContext, keepAlive: Bool) {
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    private func startStream(context: ChannelHandlerContext, version: HTTPVersion, keepAlive: Bool) {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/event-stream")
        headers.add(name: "cache-control", value: "no-cache")
        if !keepAlive { headers.add(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: .ok, headers: headers))), promise: nil)
        if delay == .zero || chunks == 0 {
            var all = context.channel.allocator.buffer(
                capacity: canned.chunk.readableBytes * chunks + canned.tail.readableBytes)
            for _ in 0..<chunks { all.writeImmutableBuffer(canned.chunk) }
            all.writeImmutableBuffer(canned.tail)
            context.write(wrapOutboundOut(.body(.byteBuffer(all))), promise: nil)
            end(context: context, keepAlive: keepAlive)
            return
        }
        // First chunk at once, then one every `delay` on a fixed schedule (no drift).
        let start = NIODeadline.now()
        sendChunk(context: context, index: 0, start: start, keepAlive: keepAlive)
    }

    private func sendChunk(context: ChannelHandlerContext, index: Int, start: NIODeadline, keepAlive: Bool) {
        scheduled = nil
        guard context.channel.isActive else { return }
        if index + 1 < chunks {
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(canned.chunk))), promise: nil)
            let next = start + delay * Int64(index + 1)
            scheduled = context.eventLoop.assumeIsolated().scheduleTask(deadline: next) {
                self.sendChunk(context: context, index: index + 1, start: start, keepAlive: keepAlive)
            }
        } else {
            // Last content chunk, then finish, usage and [DONE] together.
            var last = context.channel.allocator.buffer(capacity: canned.chunk.readableBytes + canned.tail.readableBytes)
            last.writeImmutableBuffer(canned.chunk)
            last.writeImmutableBuffer(canned.tail)
            context.write(wrapOutboundOut(.body(.byteBuffer(last))), promise: nil)
            end(context: context, keepAlive: keepAlive)
        }
    }
}

let options = Options.parse(CommandLine.arguments)
let canned = Canned(chunks: options.chunks)
let group = MultiThreadedEventLoopGroup(numberOfThreads: options.threads)
let (chunks, delayMs) = (options.chunks, options.chunkDelayMs)

let bootstrap = ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 4096)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelOption(.maxMessagesPerRead, value: 16)
    .childChannelInitializer { [canned, chunks, delayMs] channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
            try channel.pipeline.syncOperations.addHandler(
                FakeUpstreamHandler(canned: canned, chunks: chunks, delayMs: delayMs))
        }
    }

let server: any Channel
do {
    server = try bootstrap.bind(host: options.host, port: options.port).wait()
} catch {
    die("cannot listen on \(options.host):\(options.port): \(error)")
}
let shownHost = options.host.contains(":") ? "[\(options.host)]" : options.host
writeOut("listening on http://\(shownHost):\(server.localAddress?.port ?? options.port)\n")
try? server.closeFuture.wait()
try? group.syncShutdownGracefully()
