// openclaw-stack-floor: the gateway's HTTP stack with none of the gateway in it, for `make bench`.
//
// A POST is read with Hummingbird (the gateway's server set-up: HTTP/1 on the connection's event
// loop, `LoopPinnedChildChannel`; lighter than the gateway's, without the WebSocket upgrade
// check its one port needs, so a floor), its body sent unchanged to the upstream
// with AsyncHTTPClient (the gateway's client set-up: `HTTPClientService`, one client per loop),
// and the upstream's answer returned as it came (a `text/event-stream` answer read by read, as
// it arrives). No auth, no parsing, no agent run, no store.
// What this adds over a direct call is the floor under what the gateway adds on this stack:
// latency, CPU per request, memory per open stream (issue 6).
//
// Usage: openclaw-stack-floor --upstream http://127.0.0.1:PORT/v1/chat/completions [--port P]
//        Prints `listening on http://127.0.0.1:PORT` once bound.
import AsyncHTTPClient
import Foundation
import Gateway
import Hummingbird
import HummingbirdCore
import Logging
import ModelProviders
import NIOCore

func option(_ name: String) -> String? {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

guard let upstream = option("--upstream") else {
    FileHandle.standardError.write(Data("usage: openclaw-stack-floor --upstream URL [--port P]\n".utf8))
    exit(2)
}
let port = option("--port").flatMap(Int.init) ?? 0

var logger = Logger(label: "stack-floor")
logger.logLevel = .warning
let clients = HTTPClientService()

let responder = CallbackResponder { (request: Request, context: BasicRequestContext) in
    let body = try await request.body.collect(upTo: 1 << 20)
    var call = HTTPClientRequest(url: upstream)
    call.method = .POST
    call.headers.add(name: "Content-Type", value: "application/json")
    call.body = .bytes(body)
    let answer = try await clients.clients.current.execute(call, timeout: .seconds(30))
    let status = HTTPResponse.Status(code: Int(answer.status.code))
    if answer.headers["content-type"].first?.hasPrefix("text/event-stream") == true {
        // A stream: each upstream read is written on as it comes.
        return Response(
            status: status, headers: [.contentType: "text/event-stream"], body: ResponseBody(asyncSequence: answer.body))
    }
    let bytes = try await answer.body.collect(upTo: 1 << 20)
    return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: bytes))
}

let app = Application(
    responder: responder,
    server: HTTPServerBuilder { responder in
        LoopPinnedChildChannel(inner: HTTP1Channel(responder: responder))
    },
    configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: port), serverName: nil),
    services: [clients],
    onServerRunning: { channel in
        FileHandle.standardOutput.write(Data("listening on http://127.0.0.1:\(channel.localAddress?.port ?? port)\n".utf8))
    },
    logger: logger)
try await app.runService()
