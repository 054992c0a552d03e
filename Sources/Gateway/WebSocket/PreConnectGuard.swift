import GatewayProtocol
import NIOCore

/// R2 enforced before anything is buffered: the socket's raw bytes are counted from the
/// upgrade until `connect` has succeeded, and a client that sends more than `budget` of them
/// is stopped there.
///
/// hummingbird-websocket gives every socket one frame decoder whose maximum frame size is fixed
/// when the upgrade happens (25 MiB, `policy.maxPayload`) and cannot be lowered for the
/// handshake and raised after it, so on its own a 25 MiB first frame would be read whole before
/// the 64 KiB check on the message. This handler sits at the head of the pipeline, in front of
/// that decoder: once the budget is spent it drops every further byte and calls `exceeded`,
/// which closes the socket (1009). The exact 64 KiB check on the first message stays where it
/// was; the budget only bounds what an unauthenticated socket can make the gateway hold.
final class PreConnectGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    static let name = "openclaw.ws.pre-connect-guard"
    /// Room for the 64 KiB `connect` frame, its headers, pings, and requests a client sends
    /// right behind `connect` without waiting for `hello-ok`.
    static let budget = 4 * ControlProtocol.maxPreConnectPayload

    private let budget: Int
    private let exceeded: @Sendable (Int) -> Void
    private var received = 0
    private var tripped = false

    init(budget: Int = PreConnectGuard.budget, exceeded: @escaping @Sendable (Int) -> Void) {
        self.budget = budget
        self.exceeded = exceeded
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !tripped else { return }
        received += unwrapInboundIn(data).readableBytes
        guard received <= budget else {
            tripped = true
            exceeded(received)
            return
        }
        context.fireChannelRead(data)
    }
}

@available(*, unavailable)
extension PreConnectGuard: Sendable {}
