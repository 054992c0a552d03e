import NIOCore
import Synchronization

/// Runs Swift Concurrency jobs on one NIO event loop, as a task executor preference (SE-0417).
///
/// In the gateway, a request's tasks prefer the event loop of its connection: the handler, its
/// child task, and every resumption — after the upstream response (whose connection belongs to
/// the same loop, see `UpstreamClients`), after the transcript commit on GRDB's writer thread —
/// run on the thread that owns the client's socket. Without it a resumption from another thread lands on any
/// loop, and the response write then needs one more wake-up of the connection's loop.
public final class EventLoopExecutor: TaskExecutor, Sendable {
    public let eventLoop: any EventLoop

    private init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    private static let executors = Mutex<[ObjectIdentifier: EventLoopExecutor]>([:])

    /// The executor of `eventLoop` (one per loop, kept for the process's life: loops are few).
    public static func of(_ eventLoop: any EventLoop) -> EventLoopExecutor {
        executors.withLock { executors in
            let key = ObjectIdentifier(eventLoop)
            if let executor = executors[key] { return executor }
            let executor = EventLoopExecutor(eventLoop)
            executors[key] = executor
            return executor
        }
    }
}
