import AsyncHTTPClient
import Logging
import NIOCore
import ServiceLifecycle

/// The upstream HTTP clients: one AsyncHTTPClient per event loop of the shared group, so an
/// upstream call made on a request's event loop uses connections owned by that same loop.
///
/// A single client over the whole group takes an idle connection on any loop when the calling
/// loop has none; at low load the one idle connection often lives on the other loop, and then
/// sending the request, receiving its head and every streamed chunk each wake the other thread.
public final class UpstreamClients: Sendable {
    /// Every client, one per loop.
    public let all: [HTTPClient]
    private let byLoop: [ObjectIdentifier: HTTPClient]
    private let group: any EventLoopGroup

    public init(group: any EventLoopGroup = HTTPClient.defaultEventLoopGroup, configuration: HTTPClient.Configuration) {
        var all: [HTTPClient] = []
        var byLoop: [ObjectIdentifier: HTTPClient] = [:]
        for loop in group.makeIterator() {
            let client = HTTPClient(eventLoopGroup: loop, configuration: configuration)
            all.append(client)
            byLoop[ObjectIdentifier(loop)] = client
        }
        self.all = all
        self.byLoop = byLoop
        self.group = group
    }

    /// The client of the calling thread's event loop (off the loops: any of them).
    public var current: HTTPClient {
        byLoop[ObjectIdentifier(group.any())] ?? all[0]
    }

    /// Shuts every client down, even when one of them fails to; throws the first failure.
    public func shutdown() async throws {
        var failure: (any Error)?
        for client in all {
            do {
                try await client.shutdown()
            } catch {
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
    }
}

/// Owns the upstream clients: stays up until graceful shutdown, then shuts them down (after the
/// HTTP server, which is started later and so stopped first, has drained).
public struct HTTPClientService: Service {
    public let clients: UpstreamClients
    /// How long an idle upstream connection stays open in the pool (AsyncHTTPClient's default).
    public static let poolIdleTimeout: Duration = .seconds(60)

    public init(connectTimeout: TimeAmount = .seconds(10)) {
        var configuration = HTTPClient.Configuration()
        // No read timeout: AsyncHTTPClient would re-arm a timer on every read of every stream.
        // Providers watch for silence themselves (`UpstreamIdleWatch`), and every call has a
        // deadline for its response head.
        configuration.timeout = .init(connect: connectTimeout, read: nil)
        // One upstream connection per in-flight stream: a low limit would queue streams silently.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 8192
        configuration.connectionPool.idleTimeout = TimeAmount(Self.poolIdleTimeout)
        configuration.decompression = .disabled
        // No tracer is bootstrapped in this process; with the default (no-op) one AHC still
        // builds a span and its attributes per request, parsing the URL with Foundation.
        configuration.tracing.tracer = nil
        self.clients = UpstreamClients(configuration: configuration)
    }

    public func run() async throws {
        try? await gracefulShutdown()
        try await clients.shutdown()
    }
}
