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
/// The work can stop its own run too: `RunStop.current` is bound to `stop` while it runs (an
/// upstream that goes silent, see `UpstreamIdleWatch`).
public final class RunControl: Sendable {
    private struct State: Sendable {
        var reason: (any Error)?
        var running = false
        var ended = false
        var waiter: CheckedContinuation<Bool, Never>?
        /// Wakes `waiter` for a tick; cancelled when the work stops or ends.
        var tickTimer: EventLoopTimer?
        /// Cancels the work's task, for work begun with `start`.
        var cancelWork: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())

    public init() {}

    /// Stops the work: it is cancelled and `run` throws `reason`. The first stop wins; a stop
    /// after the work ended does nothing.
    public func stop(_ reason: any Error) {
        let (accepted, waiter, timer, cancelWork) = state.withLock {
            s -> (Bool, CheckedContinuation<Bool, Never>?, EventLoopTimer?, (@Sendable () -> Void)?) in
            guard s.reason == nil, !s.ended else { return (false, nil, nil, nil) }
            s.reason = reason
            defer { (s.waiter, s.tickTimer, s.cancelWork) = (nil, nil, nil) }
            return (true, s.waiter, s.tickTimer, s.cancelWork)
        }
        guard accepted else { return }
        timer?.cancel()
        cancelWork?()
        waiter?.resume(returning: true)
    }

    /// Why the work was stopped, if it was.
    public var stopReason: (any Error)? {
        state.withLock { $0.reason }
    }

    /// True while `run` executes the work (the work's own callees may then arm
    /// deadlines on this control instead of starting another child task).
    public var isRunning: Bool {
        state.withLock { $0.running && !$0.ended }
    }

    /// Calls `stop(reason)` after `delay`, unless the returned timer is cancelled first.
    public func stop(after delay: Duration, _ reason: any Error) -> EventLoopTimer {
        EventLoopTimer(after: delay) { [self] in stop(reason) }
    }

    /// Runs `operation` in a child task that `stop` cancels; waits for it.
    ///
    /// With `tickEvery`, the waiting task calls `onTick` each time that interval passes while
    /// the work goes on (an event-loop timer, no extra task): an SSE stream's keep-alive.
    /// - Throws: the stop's reason when stopped (unless the work finished anyway), else what
    ///   `operation` throws. Cancelling the calling task stops the work with `CancellationError`.
    public func run<T: Sendable>(
        tickEvery tick: Duration? = nil, onTick: () async -> Void = {},
        _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        begin()
        let outcome = await withTaskGroup(of: Result<T, any Error>.self) { group in
            group.addTask {
                let result: Result<T, any Error>
                do {
                    result = .success(try await RunStop.$current.withValue({ self.stop($0) }, operation: operation))
                } catch {
                    result = .failure(error)
                }
                self.end()
                return result
            }
            await waitTicking(tick, onTick)
            if stopReason != nil { group.cancelAll() }
            return await group.next()!
        }
        if case .failure = outcome, let reason = stopReason { throw reason }
        return try outcome.get()
    }

    /// Starts `operation` now, in a new task that prefers `executor`, for work that must begin
    /// before the task that will wait for it can (a streamed response's run starts before its
    /// response head is written, see `RunStreaming`). `stop` cancels that task; `wait(for:)`
    /// waits for it, as `run` does.
    ///
    /// The task is not a child of the caller: whoever gets it must `wait(for:)` it, or `stop`
    /// the control, for it to end early.
    public func start<T: Sendable>(
        preferring executor: any TaskExecutor, _ operation: @escaping @Sendable () async throws -> T
    ) -> Task<T, any Error> {
        begin()
        let task = Task(executorPreference: executor) {
            defer { self.end() }
            return try await RunStop.$current.withValue({ self.stop($0) }, operation: operation)
        }
        let stopped = state.withLock { s in
            if s.reason == nil, !s.ended { s.cancelWork = { task.cancel() } }
            return s.reason != nil
        }
        if stopped { task.cancel() }
        return task
    }

    /// Waits for the work begun with `start`. With `tickEvery`, calls `onTick` each time that
    /// interval passes while the work goes on.
    /// - Throws: as `run`. Cancelling the calling task stops the work with `CancellationError`.
    public func wait<T: Sendable>(
        for task: Task<T, any Error>, tickEvery tick: Duration? = nil, onTick: () async -> Void = {}
    ) async throws -> T {
        await waitTicking(tick, onTick)
        let outcome = await task.result
        if case .failure = outcome, let reason = stopReason { throw reason }
        return try outcome.get()
    }

    /// Until the work stops or ends, calls `onTick` each `tick`; a cancelled caller stops the work.
    private func waitTicking(_ tick: Duration?, _ onTick: () async -> Void) async {
        await withTaskCancellationHandler {
            while await !waitForStopOrEnd(tickAfter: tick) {
                await onTick()
            }
        } onCancel: {
            stop(CancellationError())
        }
    }

    private func begin() {
        state.withLock { s in
            precondition(!s.running, "a RunControl runs one piece of work")
            s.running = true
        }
    }

    private func end() {
        let (waiter, timer) = state.withLock { s -> (CheckedContinuation<Bool, Never>?, EventLoopTimer?) in
            s.ended = true
            defer { (s.waiter, s.tickTimer, s.cancelWork) = (nil, nil, nil) }
            return (s.waiter, s.tickTimer)
        }
        timer?.cancel()
        waiter?.resume(returning: true)
    }

    /// True once the work is stopped or has ended; false when `tickAfter` passed first.
    private func waitForStopOrEnd(tickAfter tick: Duration?) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let now = state.withLock { s in
                if s.reason != nil || s.ended { return true }
                s.waiter = continuation
                // Armed under the lock, so a stop or end right after always finds (and cancels) it.
                s.tickTimer = tick.map { tick in
                    EventLoopTimer(after: tick) { [self] in
                        let waiter = state.withLock { s in
                            defer { s.waiter = nil }
                            return s.waiter
                        }
                        waiter?.resume(returning: false)
                    }
                }
                return false
            }
            if now { continuation.resume(returning: true) }
        }
    }
}
