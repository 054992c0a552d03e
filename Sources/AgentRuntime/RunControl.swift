import ModelProviders
import Synchronization

/// Stops a run from outside its task: its deadline, `chat.abort`, a client that went away.
///
/// `run` executes the work as the one child task of a task group and waits; `stop` (from any
/// thread: an event-loop timer, a connection's close callback, an abort) cancels that child,
/// and `run` then throws the stop's reason instead of whatever the cancelled work threw. A
/// request thus costs one child task, however many ways it can be stopped — no watcher task
/// per timeout or per disconnect.
///
/// A face that must keep working while the run goes on (an SSE stream writing chunks) runs
/// the work in its own child task inside `adopt`, and learns of a stop through `onStop`.
public final class RunControl: Sendable {
    private struct State: Sendable {
        var reason: (any Error)?
        var running = false
        var ended = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())
    private let onStop: @Sendable (any Error) -> Void

    /// `onStop` is called once, on the first `stop` before the work ends.
    public init(onStop: @escaping @Sendable (any Error) -> Void = { _ in }) {
        self.onStop = onStop
    }

    /// Stops the work: it is cancelled and `run` throws `reason`. The first stop wins; a stop
    /// after the work ended does nothing.
    public func stop(_ reason: any Error) {
        let (accepted, waiter) = state.withLock { s -> (Bool, CheckedContinuation<Void, Never>?) in
            guard s.reason == nil, !s.ended else { return (false, nil) }
            s.reason = reason
            defer { s.waiter = nil }
            return (true, s.waiter)
        }
        guard accepted else { return }
        waiter?.resume()
        onStop(reason)
    }

    /// Why the work was stopped, if it was.
    public var stopReason: (any Error)? {
        state.withLock { $0.reason }
    }

    /// True while `run` or `adopt` executes the work (the work's own callees may then arm
    /// deadlines on this control instead of starting another child task).
    public var isRunning: Bool {
        state.withLock { $0.running && !$0.ended }
    }

    /// Calls `stop(reason)` after `delay`, unless the returned timer is cancelled first.
    public func stop(after delay: Duration, _ reason: any Error) -> EventLoopTimer {
        EventLoopTimer(after: delay) { [self] in stop(reason) }
    }

    /// Runs `operation` in a child task that `stop` cancels; waits for it.
    /// - Throws: the stop's reason when stopped (unless the work finished anyway), else what
    ///   `operation` throws. Cancelling the calling task stops the work with `CancellationError`.
    public func run<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        begin()
        let outcome = await withTaskGroup(of: Result<T, any Error>.self) { group in
            group.addTask {
                let result: Result<T, any Error>
                do {
                    result = .success(try await operation())
                } catch {
                    result = .failure(error)
                }
                self.end()
                return result
            }
            await withTaskCancellationHandler {
                await self.waitForStopOrEnd()
            } onCancel: {
                self.stop(CancellationError())
            }
            if stopReason != nil { group.cancelAll() }
            return await group.next()!
        }
        if case .failure = outcome, let reason = stopReason { throw reason }
        return try outcome.get()
    }

    /// Runs `operation` in the calling task, marked as this control's work. The caller handles
    /// stops (through `onStop`) by cancelling the task it runs this in.
    public func adopt<T>(_ operation: () async throws -> T) async throws -> T {
        begin()
        defer { end() }
        do {
            return try await operation()
        } catch {
            if let reason = stopReason { throw reason }
            throw error
        }
    }

    private func begin() {
        state.withLock { s in
            precondition(!s.running, "a RunControl runs one piece of work")
            s.running = true
        }
    }

    private func end() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.ended = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    private func waitForStopOrEnd() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s in
                if s.reason != nil || s.ended { return true }
                s.waiter = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }
}
