import NIOCore

/// Closes a connection when the client shuts down its sending side (FIN).
///
/// Hummingbird allows remote half-closure, so without this a client that goes away while its
/// request is being answered leaves the channel open until the run ends. HTTP clients do not
/// half-close while waiting for an answer; treating it as a disconnect (as Node's default
/// `allowHalfOpen: false` does) lets `ClientConnection` cancel the run (O2).
final class ClientHalfCloseHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Any

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }
}
