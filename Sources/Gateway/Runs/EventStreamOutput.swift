import Hummingbird
import NIOCore
import Synchronization

/// The body of one SSE response, written by the run's own task as its events happen, with
/// keep-alive comments written by the task that waits for the run.
///
/// Writing in the run's task saves a relay (a queue and a task wake-up) per chunk. Two tasks
/// can then write, so each write holds a gate: the run's writes wait for a keep-alive write in
/// progress (rare), and a keep-alive is skipped while anything else is written.
///
/// The run may start before the response head is written (see `RunIntake.eventStream`): until
/// `attach` gives the output its writer, what is written is kept, and `attach` sends it first.
///
/// Events that came from upstream together (one read) are written together: the run writes
/// the first at once, holds the rest (`write(_:flush: false)`) and writes them in one write at
/// the `flush` that follows them before the run waits for more (see `ModelStreamEvent`).
final class EventStreamOutput: @unchecked Sendable {
    // `writer`, `pending` and `held` are only used by the holder of the gate (`state.busy`);
    // that is what makes the unchecked `Sendable` sound.
    private var writer: (any ResponseBodyWriter)?
    /// Written before `attach`.
    private var pending = ""
    /// Written with `flush: false`, not sent yet.
    private var held = ""

    private struct State {
        var busy = false
        var waiters: [CheckedContinuation<Void, Never>] = []
        /// When the last write ended (or the output was made).
        var lastWrite = ContinuousClock.now
    }
    private let state = Mutex(State())

    /// An output whose writer comes later, with `attach`; `first` is sent first.
    init(first: String = "") {
        self.pending = first
    }

    /// Gives the output its writer (the response head is written), and writes what was written
    /// before, in one write.
    func attach(_ writer: any ResponseBodyWriter) async throws {
        await acquire()
        defer { release() }
        self.writer = writer
        guard !pending.isEmpty else { return }
        let text = pending
        pending = ""
        try await send(text)
    }

    /// Writes and flushes `text` after anything held (keeps it, before `attach`); with
    /// `flush: false`, holds it until the next flushing write or `flush()`.
    func write(_ text: String, flush: Bool = true) async throws {
        await acquire()
        defer { release() }
        guard flush else {
            held += text
            return
        }
        try await sendHeld(then: text)
    }

    /// Writes what is held, if anything.
    func flush() async throws {
        await acquire()
        defer { release() }
        try await sendHeld()
    }

    /// Writes `text` if nothing was written for `silence` and no write is in progress (the
    /// keep-alive).
    func writeIfSilent(_ text: String, after silence: Duration) async throws {
        let silent = state.withLock { s in
            let now = ContinuousClock.now
            guard !s.busy, now - s.lastWrite >= silence else { return false }
            s.busy = true
            return true
        }
        guard silent else { return }
        defer { release() }
        try await send(text)
    }

    /// Ends the body. Called once, after `attach` and after the run's task has ended.
    func finish() async throws {
        await acquire()
        // Normally nothing is held here (a run's last write flushes); nothing written is dropped.
        try await sendHeld()
        guard let writer else { preconditionFailure("finish before attach") }
        try await writer.finish(nil)
    }

    /// Sends what is held, then `text`, in one write (none when both are empty). Only called by
    /// the gate's holder.
    private func sendHeld(then text: String = "") async throws {
        let out = held.isEmpty ? text : held + text
        held = ""
        guard !out.isEmpty else { return }
        try await send(out)
    }

    /// Writes `text`, or keeps it until `attach`. Only called by the gate's holder.
    private func send(_ text: String) async throws {
        if writer == nil {
            pending += text
        } else {
            try await writer!.write(ByteBuffer(string: text))
        }
    }

    private func acquire() async {
        let acquired = state.withLock { s in
            guard !s.busy else { return false }
            s.busy = true
            return true
        }
        if acquired { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s in
                guard s.busy else {
                    s.busy = true
                    return true
                }
                s.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// A write ended: hands the gate to the next waiter, if any (it stays busy), else frees it.
    private func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.lastWrite = .now
            guard !s.waiters.isEmpty else {
                s.busy = false
                return nil
            }
            return s.waiters.removeFirst()
        }
        next?.resume()
    }
}
