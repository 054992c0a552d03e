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
///
/// The queue is bounded by `maxBufferedBytes` (R4 `policy.maxBufferedBytes`): a frame that
/// would take the bytes not yet handed to the socket over it means the client is not reading,
/// so the outbox closes with 1008 "slow consumer" and the writer skips what is still queued.
final class Outbox: Sendable {
    enum Item: Sendable {
        case text(String)
        case close(WebSocketErrorCode, reason: String?)
    }

    private struct State {
        var seq = 0
        var pending = 0
        var bufferedBytes = 0
        var open = true
        var slowConsumer = false
    }

    static let slowConsumerReason = "slow consumer"

    let items: AsyncStream<Item>
    private let continuation: AsyncStream<Item>.Continuation
    /// Finishes when a close frame has been queued (or the outbox is finished).
    let closing: AsyncStream<Void>
    private let closingContinuation: AsyncStream<Void>.Continuation
    let maxBufferedBytes: Int
    private let state = Mutex(State())

    init(maxBufferedBytes: Int = ControlProtocol.maxBufferedBytes) {
        self.maxBufferedBytes = maxBufferedBytes
        (items, continuation) = AsyncStream.makeStream(of: Item.self)
        (closing, closingContinuation) = AsyncStream.makeStream(of: Void.self)
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
        state.withLock { s in Self.close(&s, code, reason: reason, continuation) }
        closingContinuation.finish()
    }

    private static func close(
        _ s: inout State, _ code: WebSocketErrorCode, reason: String?, _ continuation: AsyncStream<Item>.Continuation
    ) {
        guard s.open else { return }
        s.open = false
        s.pending += 1
        continuation.yield(.close(code, reason: reason))
    }

    /// Drops anything enqueued later; the writer stops once the queue is empty.
    func finish() {
        state.withLock { s in
            s.open = false
            continuation.finish()
        }
        closingContinuation.finish()
    }

    /// Called by the writer after each item it has sent or skipped.
    func sent(_ item: Item) {
        state.withLock { s in
            s.pending -= 1
            if case .text(let text) = item { s.bufferedBytes -= text.utf8.count }
        }
    }

    /// Items enqueued but not yet sent.
    var pending: Int { state.withLock { $0.pending } }

    /// Bytes of text frames enqueued but not yet handed to the socket.
    var bufferedBytes: Int { state.withLock { $0.bufferedBytes } }

    var isOpen: Bool { state.withLock { $0.open } }

    /// True once the client was found not to read: queued frames are skipped, not sent.
    var isSlowConsumer: Bool { state.withLock { $0.slowConsumer } }

    private func enqueue(numbered: Bool, _ make: (Int) -> Item) {
        let closed = state.withLock { s -> Bool in
            guard s.open else { return false }
            if numbered { s.seq += 1 }
            let item = make(s.seq)
            if case .text(let text) = item {
                let bytes = text.utf8.count
                guard s.bufferedBytes + bytes <= maxBufferedBytes else {
                    s.slowConsumer = true
                    Self.close(&s, .policyViolation, reason: Self.slowConsumerReason, continuation)
                    return true
                }
                s.bufferedBytes += bytes
            }
            s.pending += 1
            continuation.yield(item)
            return false
        }
        if closed { closingContinuation.finish() }
    }
}
