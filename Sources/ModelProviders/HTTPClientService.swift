import AsyncHTTPClient
import Logging
import NIOCore
import ServiceLifecycle

/// Owns the upstream `HTTPClient`: stays up until graceful shutdown, then shuts the client down
/// (after the HTTP server, which is started later and so stopped first, has drained).
public struct HTTPClientService: Service {
    public let client: HTTPClient

    public init(connectTimeout: TimeAmount = .seconds(10)) {
        var configuration = HTTPClient.Configuration()
        // No read timeout: AsyncHTTPClient would re-arm a timer on every read of every stream.
        // Providers watch for silence themselves (`UpstreamIdleWatch`), and every call has a
        // deadline for its response head.
        configuration.timeout = .init(connect: connectTimeout, read: nil)
        // One upstream connection per in-flight stream: a low limit would queue streams silently.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 8192
        configuration.decompression = .disabled
        // No tracer is bootstrapped in this process; with the default (no-op) one AHC still
        // builds a span and its attributes per request, parsing the URL with Foundation.
        configuration.tracing.tracer = nil
        self.client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    public func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}
