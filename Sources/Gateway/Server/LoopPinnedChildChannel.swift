import Hummingbird
import HummingbirdCore
import Logging
import ModelProviders
import NIOCore

/// Serves each connection in a task that prefers the connection's own event loop.
///
/// Hummingbird's server starts a connection's task from its accepting task, on whatever thread
/// that runs, while the connection's socket belongs to the event loop it was registered on
/// (round-robin over the loops). Until something on the connection's loop resumes the task, its
/// work (the upgrade check, reading and routing the request, writing the response) keeps
/// crossing between the two threads, each crossing a wake-up of a sleeping thread. With the
/// preference (SE-0417, `EventLoopExecutor`) the task moves to the connection's loop once, at
/// its start, and stays there. Measured on new connections (issue 6): the tail of the time to
/// first token of lone streams.
public struct LoopPinnedChildChannel<Inner: ServerChildChannel>: ServerChildChannel {
    public typealias Value = Inner.Value

    let inner: Inner

    public init(inner: Inner) {
        self.inner = inner
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        inner.setup(channel: channel, logger: logger)
    }

    public func handle(value: Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopExecutor.of(value.channel.eventLoop)) {
            await inner.handle(value: value, logger: logger)
        }
    }
}
