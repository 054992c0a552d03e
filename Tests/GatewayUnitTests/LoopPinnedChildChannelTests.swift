import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import Gateway

/// A connection's task runs on the event loop that owns its socket.
@Suite struct LoopPinnedChildChannelTests {
    struct Value: ServerChildChannelValue {
        let channel: any Channel
    }

    final class Seen: Sendable {
        private let value = Mutex<Bool?>(nil)
        var onLoop: Bool? { value.withLock { $0 } }
        func record(_ onLoop: Bool) { value.withLock { $0 = onLoop } }
    }

    /// Records whether `handle` ran on the channel's loop.
    struct Probe: ServerChildChannel {
        let seen = Seen()

        func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
            channel.eventLoop.makeSucceededFuture(Value(channel: channel))
        }

        func handle(value: Value, logger: Logger) async {
            seen.record(value.channel.eventLoop.inEventLoop)
        }
    }

    @Test("a connection is handled on its channel's event loop, not on the thread that accepted it")
    func handledOnTheChannelsLoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let channel = try await DatagramBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let logger = Logger(label: "test")

        let plain = Probe()
        await plain.handle(value: Value(channel: channel), logger: logger)
        #expect(plain.seen.onLoop == false)  // the test's own thread: what the wrapper must fix

        let probe = Probe()
        await LoopPinnedChildChannel(inner: probe).handle(value: Value(channel: channel), logger: logger)
        #expect(probe.seen.onLoop == true)

        try await channel.close()
        try await group.shutdownGracefully()
    }
}
