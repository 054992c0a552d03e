import AsyncHTTPClient
import NIOCore
import Synchronization

/// How the current agent run can be stopped from outside its task: bound by the runtime's
/// `RunControl` for the work it runs, so a provider can end the run it serves (see
/// `UpstreamIdleWatch`). Nil outside a run.
public enum RunStop {
    @TaskLocal public static var current: (@Sendable (any Error) -> Void)?
}

/// Ends an upstream response that goes silent: no bytes for `timeout`.
///
/// AsyncHTTPClient's own read timeout re-arms an event-loop timer on every read, and
/// cancelling a timer scans the loop's whole timer heap: a cost per streamed chunk that grows
/// with the number of open streams. This watch costs one clock read per chunk (`touch`); its
/// one timer fires after `timeout` and, when bytes came meanwhile, re-arms for the time left.
/// On silence it stops the run (`RunStop.current`) with a timeout `ProviderError`, which
/// cancels the upstream request.
final class UpstreamIdleWatch: Sendable {
    private let timeout: Int64
    private let lastActivity: Atomic<Int64>
    private let onIdle: @Sendable () -> Void
    private let eventLoop: any EventLoop
    private let timer = Mutex<EventLoopTimer?>(nil)
    private let stopped = Atomic(false)

    /// Starts watching a call made with `client`, on its event loop; nil when the caller runs
    /// outside an agent run (nothing to stop).
    static func start(timeout: TimeAmount, provider: String, client: HTTPClient) -> UpstreamIdleWatch? {
        guard let stop = RunStop.current else { return nil }
        let silence = Duration.nanoseconds(timeout.nanoseconds)
        return UpstreamIdleWatch(timeout: timeout, eventLoop: client.eventLoopGroup.any()) {
            stop(
                ProviderError(
                    kind: .timeout, provider: provider, message: "upstream provider timeout: no data for \(silence)"))
        }
    }

    init(timeout: TimeAmount, eventLoop: any EventLoop, onIdle: @escaping @Sendable () -> Void) {
        self.timeout = timeout.nanoseconds
        self.lastActivity = Atomic(Int64(NIODeadline.now().uptimeNanoseconds))
        self.onIdle = onIdle
        self.eventLoop = eventLoop
        arm(in: timeout.nanoseconds)
    }

    /// Bytes arrived (the response head, a body part).
    func touch() {
        lastActivity.store(Int64(NIODeadline.now().uptimeNanoseconds), ordering: .relaxed)
    }

    /// The response ended (or the call failed): no more checks.
    func stop() {
        stopped.store(true, ordering: .relaxed)
        timer.withLock { $0 }?.cancel()
    }

    private func arm(in nanoseconds: Int64) {
        let next = EventLoopTimer(after: .nanoseconds(nanoseconds), on: eventLoop) { [self] in check() }
        timer.withLock { $0 = next }
        if stopped.load(ordering: .relaxed) { next.cancel() }
    }

    private func check() {
        guard !stopped.load(ordering: .relaxed) else { return }
        let silent = Int64(NIODeadline.now().uptimeNanoseconds) - lastActivity.load(ordering: .relaxed)
        if silent >= timeout {
            stopped.store(true, ordering: .relaxed)
            onIdle()
        } else {
            arm(in: timeout - silent)
        }
    }
}
