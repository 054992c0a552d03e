import AgentRuntime
import AsyncHTTPClient
import Foundation
import GatewayConfig
import Hummingbird
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

    public init(
        settings: GatewaySettings, config: OpenClawConfig, statePaths: StatePaths, environment: [String: String],
        shutdownGrace: Duration = .seconds(10), bodyTimeout: Duration = BodyReader.timeout
    ) {
        self.settings = settings
        self.config = config
        self.statePaths = statePaths
        self.environment = environment
        self.shutdownGrace = shutdownGrace
        self.bodyTimeout = bodyTimeout
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
        let app = buildApplication(
            runtime: assembly.runtime, store: assembly.store, sessions: assembly.sessions, onReady: onReady)
        // Services stop in reverse order: the HTTP server drains first, then the upstream client.
        var configuration = ServiceGroupConfiguration(
            services: assembly.services + [app], gracefulShutdownSignals: signals, logger: logger)
        configuration.maximumGracefulShutdownDuration = options.shutdownGrace
        let group = ServiceGroup(configuration: configuration)
        await onGroup(group)
        try await group.run()
    }

    func buildApplication(
        runtime: AgentRuntime, store: any SessionStore, sessions: FreshSessions? = nil,
        onReady: @escaping @Sendable (Int) async -> Void
    ) -> some ApplicationProtocol {
        let settings = options.settings
        let responder = GatewayResponder(
            authenticator: Authenticator(settings: settings),
            chatCompletions: settings.chatCompletionsEnabled
                ? ChatCompletionsEndpoint(
                    runtime: runtime, keepAliveSeconds: settings.sseKeepAliveSeconds, bodyTimeout: options.bodyTimeout,
                    sessions: sessions) : nil,
            models: settings.chatCompletionsEnabled || settings.responsesEnabled
                ? ModelsEndpoint(catalog: runtime.catalog) : nil,
            health: HealthEndpoint(store: store))
        return Application(
            responder: responder,
            server: .http1(configuration: .init(additionalChannelHandlers: [ClientHalfCloseHandler()])),
            configuration: ApplicationConfiguration(
                address: .hostname(settings.host, port: settings.port), serverName: nil),
            onServerRunning: { channel in
                await onReady(channel.localAddress?.port ?? settings.port)
            },
            logger: logger)
    }
}
