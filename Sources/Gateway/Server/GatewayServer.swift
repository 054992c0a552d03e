import AgentRuntime
import AsyncHTTPClient
import Foundation
import GatewayConfig
import GatewayProtocol
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import ModelProviders
import NIOCore
import ServiceLifecycle
import SessionStore
import UnixSignals

/// Everything `openclaw gateway` needs to start, already resolved and validated.
public struct GatewayOptions: Sendable {
    public var settings: GatewaySettings
    public var config: OpenClawConfig
    public var statePaths: StatePaths
    public var environment: [String: String]
    /// How long in-flight requests may run after SIGTERM/SIGINT before they are cancelled.
    public var shutdownGrace: Duration
    /// How long a request body may take to arrive (F2).
    public var bodyTimeout: Duration
    /// How often WebSocket clients get a `tick` event (R4 `policy.tickIntervalMs`).
    public var tickInterval: Duration
    /// Unread outgoing bytes after which a WebSocket client is dropped (R4 `policy.maxBufferedBytes`).
    public var maxBufferedBytes: Int
    /// How many streamed runs may be starting at once, and how long one may hold its permit
    /// (`AdmissionGate`): 8 per core and 25 ms unless a test says otherwise.
    public var streamStartPermits: Int
    public var streamStartHoldLimit: Duration

    public init(
        settings: GatewaySettings, config: OpenClawConfig, statePaths: StatePaths, environment: [String: String],
        shutdownGrace: Duration = .seconds(10), bodyTimeout: Duration = BodyReader.timeout,
        tickInterval: Duration = ControlProtocol.defaultTickInterval,
        maxBufferedBytes: Int = ControlProtocol.maxBufferedBytes,
        streamStartPermits: Int = 8 * System.coreCount, streamStartHoldLimit: Duration = .milliseconds(25)
    ) {
        self.settings = settings
        self.config = config
        self.statePaths = statePaths
        self.environment = environment
        self.shutdownGrace = shutdownGrace
        self.bodyTimeout = bodyTimeout
        self.tickInterval = tickInterval
        self.maxBufferedBytes = maxBufferedBytes
        self.streamStartPermits = max(1, streamStartPermits)
        self.streamStartHoldLimit = streamStartHoldLimit
    }
}

/// The gateway process: HTTP server, upstream client, session store and agent runtime, run as
/// one `ServiceGroup` that stops gracefully on SIGTERM/SIGINT.
public struct GatewayServer: Sendable {
    public let options: GatewayOptions
    public let logger: Logger

    public init(options: GatewayOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// Runs until graceful shutdown. `onReady` gets the bound port once the server listens.
    /// - Parameter signals: `[.sigterm, .sigint]` for the CLI; empty in tests, which call
    ///   `triggerGracefulShutdown` on the group passed to `onGroup`.
    public func run(
        signals: [UnixSignal] = [.sigterm, .sigint],
        onGroup: @Sendable (ServiceGroup) async -> Void = { _ in },
        onReady: @escaping @Sendable (Int) async -> Void
    ) async throws {
        let assembly = try RuntimeAssembly(
            config: options.config, statePaths: options.statePaths, environment: options.environment, logger: logger)
        let trimmer = IdleMemoryTrimmer(quiet: HTTPClientService.poolIdleTimeout + .seconds(5))
        let (app, controlPlane) = buildApplication(
            runtime: assembly.runtime, store: assembly.store, sessions: assembly.sessions, trimmer: trimmer,
            onReady: onReady)
        // Services stop in reverse order: the WebSocket control plane first (shutdown event, runs
        // aborted), then the HTTP server drains, then the upstream client.
        var configuration = ServiceGroupConfiguration(
            services: assembly.services + [app, controlPlane], gracefulShutdownSignals: signals, logger: logger)
        configuration.maximumGracefulShutdownDuration = options.shutdownGrace
        let group = ServiceGroup(configuration: configuration)
        await onGroup(group)
        try await group.run()
    }

    func buildApplication(
        runtime: AgentRuntime, store: any SessionStore, sessions: FreshSessions? = nil,
        trimmer: IdleMemoryTrimmer? = nil, onReady: @escaping @Sendable (Int) async -> Void
    ) -> (some ApplicationProtocol, ControlPlane) {
        let settings = options.settings
        // One authenticator, so HTTP and WebSocket share the failed-auth limiter (D1).
        let authenticator = Authenticator(settings: settings)
        let runs = RunRegistry(
            admission: AdmissionGate(
                permits: options.streamStartPermits, holdLimit: options.streamStartHoldLimit),
            trimmer: trimmer)
        let controlPlane = ControlPlane(
            runtime: runtime, store: store, authenticator: authenticator, runs: runs, config: options.config,
            settings: .init(tickInterval: options.tickInterval, maxBufferedBytes: options.maxBufferedBytes), logger: logger)
        let responder = GatewayResponder(
            authenticator: authenticator,
            chatCompletions: settings.chatCompletionsEnabled
                ? ChatCompletionsEndpoint(
                    runtime: runtime, runs: runs, keepAliveSeconds: settings.sseKeepAliveSeconds,
                    bodyTimeout: options.bodyTimeout, streamToolActivity: settings.streamToolActivity,
                    authIsNone: settings.auth.mode == .none, sessions: sessions)
                : nil,
            responses: settings.responsesEnabled
                ? ResponsesEndpoint(
                    runtime: runtime, runs: runs, keepAliveSeconds: settings.sseKeepAliveSeconds,
                    bodyTimeout: options.bodyTimeout, authIsNone: settings.auth.mode == .none) : nil,
            models: settings.chatCompletionsEnabled || settings.responsesEnabled
                ? ModelsEndpoint(catalog: runtime.catalog) : nil,
            health: HealthEndpoint(store: store))
        // A3: one port; an `Upgrade: websocket` request goes to the control plane, whatever its path.
        let app = Application(
            responder: responder,
            server: HTTPServerBuilder { responder in
                LoopPinnedChildChannel(
                    inner: HTTP1WebSocketUpgradeChannel(
                        responder: responder,
                        configuration: .init(
                            http1: .init(additionalChannelHandlers: [ClientHalfCloseHandler(), BrokenUpgradeHandler()]),
                            ws: .init(
                                maxFrameSize: ControlProtocol.maxPayload, autoPing: .enabled(timePeriod: .seconds(30)))),
                        shouldUpgrade: { head, channel, logger in
                            controlPlane.shouldUpgrade(head, channel: channel, logger: logger)
                        }))
            },
            configuration: ApplicationConfiguration(
                address: .hostname(settings.host, port: settings.port), serverName: nil),
            onServerRunning: { channel in
                await onReady(channel.localAddress?.port ?? settings.port)
            },
            logger: logger)
        return (app, controlPlane)
    }
}
