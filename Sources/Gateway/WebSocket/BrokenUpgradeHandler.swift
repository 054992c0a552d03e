import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// A3: a WebSocket upgrade request that SwiftNIO's upgrader refuses before asking the gateway
/// (no `Sec-WebSocket-Key`, a `Sec-WebSocket-Version` other than 13) gets a 400 instead of a
/// dropped connection.
///
/// NIO keeps such a request's head and hands the plain HTTP pipeline only the rest of it, so
/// Hummingbird sees a request part with no head before it and closes the socket without a
/// word. This handler, one of the HTTP/1 channel's additional handlers, answers that orphaned
/// part itself. Every other request passes through untouched.
final class BrokenUpgradeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    static let message = "Invalid WebSocket upgrade request: Sec-WebSocket-Key and Sec-WebSocket-Version 13 are required"

    private var inRequest = false
    private var answered = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        switch unwrapInboundIn(data) {
        case .head:
            inRequest = true
        case .body where inRequest:
            break
        case .end where inRequest:
            inRequest = false
        case .body, .end:
            answered = true
            answer(context: context)
            return
        }
        context.fireChannelRead(data)
    }

    private func answer(context: ChannelHandlerContext) {
        let body = ByteBuffer(string: Self.message)
        let head = HTTPResponse(
            status: .badRequest,
            headerFields: [
                .contentType: "text/plain; charset=utf-8", .contentLength: "\(body.readableBytes)", .connection: "close",
            ])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension BrokenUpgradeHandler: Sendable {}
