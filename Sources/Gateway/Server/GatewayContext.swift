import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// Per-request context: Hummingbird's core storage plus the socket peer (D5).
public struct GatewayContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<GatewayContext>
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
        self.remoteAddress = source.channel.remoteAddress
    }

    /// The peer's IP as text (`127.0.0.1`, `::1`), empty when unknown.
    var peerIP: String {
        remoteAddress?.ipAddress.map(ClientAddress.canonical) ?? ""
    }
}
