import ModelProviders
import NIOCore
import Synchronization

/// Bounds how many streamed runs are starting at once, so a burst of new streams cannot starve
/// the streams already flowing (issue 6).
///
/// Starting a stream (the run's set-up, the upstream connection and request, the first chunk)
/// costs ~40 relayed chunks' worth of CPU. Started all at once, a burst queues that work on the
/// event loops ahead of the chunks of the streams already open, which then stall for hundreds of
/// milliseconds. With the gate, a stream waits its turn (first come, first served; `: ping`
/// keep-alives still flow) and the chunks of open streams keep moving: the wait shows in the
/// new streams' time to first token instead.
///
/// A run holds its permit until its first event after `.started` (a text delta, a tool, a
/// fallback), its end, or `holdLimit`, whichever comes first: a slow model cannot keep a permit
/// while it thinks, so the gate never limits how many streams are open, only how many are in
/// their first moments together.
final class AdmissionGate: Sendable {
    let holdLimit: Duration

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var free: Int
        var waiters = CircularBuffer<Waiter>()
        var nextId: UInt64 = 0
        /// Waiters cancelled while not in `waiters`: before they were queued, or just after
        /// `leave` admitted them (then the id is dropped once `enter` returns).
        var cancelled: Set<UInt64> = []
    }

    private let state: Mutex<State>

    init(permits: Int, holdLimit: Duration) {
        precondition(permits > 0)
        self.holdLimit = holdLimit
        self.state = Mutex(State(free: permits))
    }

    /// Waits for a permit. Throws `CancellationError` if the task is cancelled while waiting
    /// (the client left); it then holds no permit.
    func enter() async throws -> AdmissionTicket {
        let id: UInt64? = state.withLock { s in
            if s.free > 0 {
                s.free -= 1
                return nil
            }
            s.nextId += 1
            return s.nextId
        }
        if let id {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let admitted: Bool? = state.withLock { s in
                        if s.cancelled.remove(id) != nil { return false }
                        if s.free > 0 {
                            s.free -= 1
                            return true
                        }
                        s.waiters.append(Waiter(id: id, continuation: continuation))
                        return nil
                    }
                    switch admitted {
                    case true?: continuation.resume()
                    case false?: continuation.resume(throwing: CancellationError())
                    case nil: break
                    }
                }
            } onCancel: {
                let waiter: Waiter? = state.withLock { s in
                    if let index = s.waiters.firstIndex(where: { $0.id == id }) {
                        return s.waiters.remove(at: index)
                    }
                    s.cancelled.insert(id)
                    return nil
                }
                waiter?.continuation.resume(throwing: CancellationError())
            }
            // Admitted: a cancellation that came after `leave` took this waiter left its id.
            state.withLock { _ = $0.cancelled.remove(id) }
        }
        let ticket = AdmissionTicket(gate: self)
        // Not cancelled when the ticket is used earlier: releasing twice is a no-op, and a
        // cancelled timer costs a scan of the loop's timer heap.
        _ = EventLoopTimer(after: holdLimit) { ticket.release() }
        return ticket
    }

    /// Runs waiting for a permit (for tests and diagnostics).
    var waiting: Int { state.withLock { $0.waiters.count } }

    fileprivate func leave() {
        let next: Waiter? = state.withLock { s in
            if let waiter = s.waiters.popFirst() { return waiter }
            s.free += 1
            return nil
        }
        next?.continuation.resume()
    }
}

/// One run's permit; `release()` gives it back (once, however often it is called).
final class AdmissionTicket: Sendable {
    private let gate: AdmissionGate
    private let released = Atomic<Bool>(false)

    fileprivate init(gate: AdmissionGate) {
        self.gate = gate
    }

    func release() {
        if !released.exchange(true, ordering: .acquiringAndReleasing) {
            gate.leave()
        }
    }
}
