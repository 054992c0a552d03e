import GatewayProtocol
import HummingbirdWebSocket
import NIOWebSocket
import OpenAIWire
import Synchronization

/// The outgoing side of one WebSocket connection.
///
/// Any task (the connection's request handlers, runs in the control plane, the shutdown
/// broadcast) enqueues frames here; the connection's single writer task sends them in order.
/// Event `seq` numbers are assigned under the same lock as the enqueue, so they reach the
/// client in increasing order. After `close` or `finish`, frames are dropped.
final class Outbox: Sendable {
    enum Item: Sendable {
        case text(String)
        case close(WebSocketErrorCode, reason: String?)
    }

    private struct State {
        var seq = 0
        var pending = 0
        var open = true
    }

    let items: AsyncStream<Item>
    private let continuation: AsyncStream<Item>.Continuation
    private let state = Mutex(State())

    init() {
        (items, continuation) = AsyncStream.makeStream(of: Item.self)
    }

    func send(_ frame: Frame) {
        enqueue(numbered: false) { _ in .text(frame.text) }
    }

    func respond(_ id: String, payload: JSONValue) {
        send(.response(ResponseFrame(id: id, ok: true, payload: payload)))
    }

    func respond(_ id: String, error: ErrorShape, payload: JSONValue? = nil) {
        send(.response(ResponseFrame(id: id, ok: false, payload: payload, error: error)))
    }

    /// Sends an event with this connection's next `seq`.
    func event(_ name: String, _ payload: JSONValue) {
        enqueue(numbered: true) { seq in .text(Frame.event(EventFrame(event: name, payload: payload, seq: seq)).text) }
    }

    /// Sends a close frame after everything already queued; nothing is sent after it.
    func close(_ code: WebSocketErrorCode, reason: String?) {
        state.withLock { s in
            guard s.open else { return }
            s.open = false
            s.pending += 1
            continuation.yield(.close(code, reason: reason))
        }
    }

    /// Drops anything enqueued later; the writer stops once the queue is empty.
    func finish() {
        state.withLock { s in
            s.open = false
            continuation.finish()
        }
    }

    /// Called by the writer after each item it has sent.
    func sent() {
        state.withLock { $0.pending -= 1 }
    }

    /// Items enqueued but not yet sent.
    var pending: Int { state.withLock { $0.pending } }

    var isOpen: Bool { state.withLock { $0.open } }

    private func enqueue(numbered: Bool, _ make: (Int) -> Item) {
        state.withLock { s in
            guard s.open else { return }
            if numbered { s.seq += 1 }
            s.pending += 1
            continuation.yield(make(s.seq))
        }
    }
}
