import Hummingbird
import HummingbirdWebSocket
import AgentRuntime
import NIOCore

/// Per-request context: Hummingbird's core storage plus the socket peer (D5).
public struct GatewayContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<GatewayContext>
    public let remoteAddress: SocketAddress?
    /// The client's connection, watched so a disconnect can cancel the run (O2).
    let connection: ClientConnection

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
        self.remoteAddress = source.channel.remoteAddress
        self.connection = ClientConnection(channel: source.channel)
    }

    /// The peer's IP as text (`127.0.0.1`, `::1`), empty when unknown.
    var peerIP: String {
        remoteAddress?.ipAddress.map(ClientAddress.canonical) ?? ""
    }
}

/// The client side of one request, for disconnect detection (O2, D-5).
///
/// Watches the channel's close future instead of the request body stream, so keep-alive
/// connections are never disturbed by the watch.
struct ClientConnection: Sendable {
    let channel: any Channel
    /// The connection's watch, when its pipeline has a `ClientHalfCloseHandler` (always, in the server).
    let watch: CloseWatch?

    init(channel: any Channel) {
        self.channel = channel
        self.watch = CloseWatch.of(channel)
    }

    /// True once the client's connection has closed.
    var isClosed: Bool { watch?.isClosed ?? !channel.isActive }

    /// Runs `body`; if the client disconnects meanwhile, `control` is stopped with
    /// `CancellationError` (O2), which cancels the run and its upstream request.
    func stopOnClose<T>(_ control: RunControl, _ body: () async throws -> T) async throws -> T {
        try await onClose({ control.stop(CancellationError()) }, body)
    }

    /// Stops `control` with `CancellationError` if the client disconnects before the returned
    /// registration is removed: for work that outlives its caller's scope (`RunStreaming`).
    func stopOnClose(_ control: RunControl) -> CloseRegistration {
        watchClose { control.stop(CancellationError()) }
    }

    /// Runs `body`, calling `closed` if the client disconnects meanwhile.
    func onClose<T>(_ closed: @escaping @Sendable () -> Void, _ body: () async throws -> T) async throws -> T {
        let registration = watchClose(closed)
        defer { registration.remove() }
        return try await body()
    }

    /// Calls `closed` when the client disconnects (at once if it already has), until the
    /// returned registration is removed.
    func watchClose(_ closed: @escaping @Sendable () -> Void) -> CloseRegistration {
        guard let watch else {
            // Not a server connection (no `ClientHalfCloseHandler`): the close future, once.
            channel.closeFuture.whenComplete { _ in closed() }
            return CloseRegistration(watch: nil, id: 0)
        }
        return CloseRegistration(watch: watch, id: watch.onClose(closed))
    }

    /// A close callback of `watchClose(_:)`.
    struct CloseRegistration: Sendable {
        fileprivate let watch: CloseWatch?
        fileprivate let id: UInt64

        func remove() {
            watch?.remove(id)
        }
    }
}
