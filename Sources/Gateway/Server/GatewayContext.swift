import Hummingbird
import HummingbirdWebSocket
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

    /// Returns when the connection closes, or when the calling task is cancelled.
    func waitForClose() async {
        if let watch {
            await watch.wait()
            return
        }
        let (closed, continuation) = AsyncStream.makeStream(of: Void.self)
        channel.closeFuture.whenComplete { _ in continuation.finish() }
        for await _ in closed {}
    }

    /// Runs `operation`, cancelling it if the client disconnects first.
    /// - Throws: `CancellationError` when the client went away.
    func cancelOnClose<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                await waitForClose()
                if Task.isCancelled { return nil }
                throw CancellationError()
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let value = next { return value }
            }
            throw CancellationError()
        }
    }
}
