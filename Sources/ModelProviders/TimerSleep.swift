import AsyncHTTPClient
import NIOCore
import Synchronization

/// A sleep whose timer is removed as soon as the sleeping task is cancelled.
///
/// `Task.sleep` leaves its timer armed after cancellation until the deadline passes. Per-request
/// timeouts (body read, agent run) are almost always cancelled long before they fire, so under
/// load those dead timers pile up by the thousand, each holding memory, and each costs a trip
/// through the global executor's timer queue. This one runs on an event loop's timer heap and
/// cancels the scheduled task on cancellation.
public enum TimerSleep {
    /// Sleeps for `duration` on `eventLoop` (by default one of the shared loops).
    /// - Throws: `CancellationError` when the task is cancelled first.
    public static func sleep(for duration: Duration, on eventLoop: (any EventLoop)? = nil) async throws {
        let loop = eventLoop ?? HTTPClient.defaultEventLoopGroup.any()
        let (seconds, attoseconds) = duration.components
        let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        let timer = Timer()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                timer.start(continuation, loop.scheduleTask(in: .nanoseconds(nanoseconds)) { timer.fire() })
            }
        } onCancel: {
            timer.cancel()
        }
    }

    private final class Timer: Sendable {
        private enum State {
            case idle
            case waiting(CheckedContinuation<Void, any Error>, Scheduled<Void>)
            case cancelled
            case done
        }
        private let state = Mutex<State>(.idle)

        func start(_ continuation: CheckedContinuation<Void, any Error>, _ scheduled: Scheduled<Void>) {
            let cancelled: Bool = state.withLock { s in
                if case .cancelled = s {
                    s = .done
                    return true
                }
                s = .waiting(continuation, scheduled)
                return false
            }
            if cancelled {
                scheduled.cancel()
                continuation.resume(throwing: CancellationError())
            }
        }

        func fire() {
            let continuation: CheckedContinuation<Void, any Error>? = state.withLock { s in
                guard case .waiting(let continuation, _) = s else { return nil }
                s = .done
                return continuation
            }
            continuation?.resume()
        }

        func cancel() {
            let waiting: (CheckedContinuation<Void, any Error>, Scheduled<Void>)? = state.withLock { s in
                switch s {
                case .idle:
                    s = .cancelled
                    return nil
                case .waiting(let continuation, let scheduled):
                    s = .done
                    return (continuation, scheduled)
                case .cancelled, .done:
                    return nil
                }
            }
            if let (continuation, scheduled) = waiting {
                scheduled.cancel()
                continuation.resume(throwing: CancellationError())
            }
        }
    }
}

/// A one-shot callback on an event loop's timer heap; `cancel` removes it.
public struct EventLoopTimer: Sendable {
    private let scheduled: Scheduled<Void>

    /// Calls `fire` after `delay` on `eventLoop` (by default the calling thread's loop, or one of
    /// the shared loops), unless cancelled first.
    public init(after delay: Duration, on eventLoop: (any EventLoop)? = nil, _ fire: @escaping @Sendable () -> Void) {
        let loop = eventLoop ?? HTTPClient.defaultEventLoopGroup.any()
        let (seconds, attoseconds) = delay.components
        scheduled = loop.scheduleTask(in: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)) {
            fire()
        }
    }

    public func cancel() {
        scheduled.cancel()
    }
}
