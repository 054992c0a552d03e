import NIOCore
import Synchronization

/// Closes a connection when the client shuts down its sending side (FIN), and tells the
/// connection's `CloseWatch` when it closes.
///
/// Hummingbird allows remote half-closure, so without this a client that goes away while its
/// request is being answered leaves the channel open until the run ends. HTTP clients do not
/// half-close while waiting for an answer; treating it as a disconnect (as Node's default
/// `allowHalfOpen: false` does) lets `ClientConnection` cancel the run (O2).
final class ClientHalfCloseHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Any

    private var watch: CloseWatch?

    func handlerAdded(context: ChannelHandlerContext) {
        let watch = CloseWatch()
        self.watch = watch
        CloseWatch.register(watch, for: context.channel)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        fire(context.channel)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fire(context.channel)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func fire(_ channel: any Channel) {
        guard let watch else { return }
        self.watch = nil
        CloseWatch.unregister(channel)
        watch.closed()
    }
}

/// One per client connection: tells the requests in flight on it that it closed.
///
/// Replaces a callback on the channel's close future per request, which would pile up on a
/// keep-alive connection and cost a hop to the event loop each time.
final class CloseWatch: Sendable {
    private struct State: Sendable {
        var isClosed = false
        var nextId: UInt64 = 0
        var callbacks: [UInt64: @Sendable () -> Void] = [:]
    }
    private let state = Mutex(State())

    /// Calls `callback` once when the connection closes (at once, if it has). Returns the id
    /// for `remove`.
    @discardableResult
    func onClose(_ callback: @escaping @Sendable () -> Void) -> UInt64 {
        let id: UInt64? = state.withLock { s in
            if s.isClosed { return nil }
            s.nextId += 1
            s.callbacks[s.nextId] = callback
            return s.nextId
        }
        guard let id else {
            callback()
            return 0
        }
        return id
    }

    func remove(_ id: UInt64) {
        _ = state.withLock { $0.callbacks.removeValue(forKey: id) }
    }

    var isClosed: Bool { state.withLock { $0.isClosed } }

    fileprivate func closed() {
        let callbacks = state.withLock { s in
            s.isClosed = true
            let callbacks = s.callbacks
            s.callbacks = [:]
            return callbacks
        }
        for callback in callbacks.values { callback() }
    }

    // MARK: Lookup by channel

    private static let registry = Mutex<[ObjectIdentifier: CloseWatch]>([:])

    fileprivate static func register(_ watch: CloseWatch, for channel: any Channel) {
        registry.withLock { $0[ObjectIdentifier(channel)] = watch }
    }

    fileprivate static func unregister(_ channel: any Channel) {
        _ = registry.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// The watch of `channel`, if it has a `ClientHalfCloseHandler`.
    static func of(_ channel: any Channel) -> CloseWatch? {
        registry.withLock { $0[ObjectIdentifier(channel)] }
    }
}
