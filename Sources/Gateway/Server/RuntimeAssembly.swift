import AgentRuntime
import GatewayConfig
import Logging
import ModelProviders
import ServiceLifecycle
import SessionStore

/// Builds the agent runtime and the services it depends on, the same way for the gateway and
/// for the in-process `openclaw agent` command.
public struct RuntimeAssembly: Sendable {
    public let runtime: AgentRuntime
    public let store: SQLiteSessionStore
    /// The store as the runtime uses it: knows the stateless sessions the gateway just created.
    let sessions: FreshSessions
    /// Services to run for as long as the runtime is used, in start order (stopped in reverse).
    public let services: [any Service]

    /// - Throws: `StartupError` when the local model is needed but not installed (V3), or a store error.
    public init(
        config: OpenClawConfig, statePaths: StatePaths, environment: [String: String], logger: Logger
    ) throws {
        let catalog = AgentCatalog(config: config, stateDir: statePaths, environment: environment)
        // Everything that can throw comes before the HTTP client, which must be shut down once created.
        let localSettings =
            Self.usesLocalModel(catalog)
            ? try Self.localSettings(config: config, statePaths: statePaths, environment: environment) : nil
        let store = try SQLiteSessionStore(path: statePaths.database)
        let httpClient = HTTPClientService()
        var services: [any Service] = [httpClient]
        var extra: [String: any ModelProvider] = [:]
        if let settings = localSettings {
            let supervisor = LocalModelSupervisor(settings: settings, clients: httpClient.clients, logger: logger)
            extra["local"] = LocalModelProvider(supervisor: supervisor, clients: httpClient.clients, logger: logger)
            services.append(supervisor)
        } else {
            extra["local"] = UnavailableProvider(id: "local", reason: "the local model is not in use")
        }
        let providers = ProviderRegistry(
            config: config.models, environment: environment, clients: httpClient.clients, extra: extra, logger: logger)
        self.store = store
        self.sessions = FreshSessions(base: store)
        self.runtime = AgentRuntime(catalog: catalog, providers: providers, store: sessions, logger: logger)
        self.services = services
    }

    static func usesLocalModel(_ catalog: AgentCatalog) -> Bool {
        catalog.agents.contains { agent in
            ([agent.model.primary] + agent.model.fallbacks).contains { $0.hasPrefix("local/") }
        }
    }

    /// `models.providers.local` over the defaults under the state directory.
    static func localSettings(
        config: OpenClawConfig, statePaths: StatePaths, environment: [String: String]
    ) throws(StartupError) -> LocalModelSettings {
        var settings = LocalModelSettings.defaults(stateDir: statePaths.root)
        let configured = config.models.providers["local"]
        if let binary = configured?.binary { settings.binary = StatePaths.expandTilde(binary, environment) }
        if let model = configured?.modelPath { settings.modelPath = StatePaths.expandTilde(model, environment) }
        if let context = configured?.contextSize { settings.contextSize = context }
        settings.threads = configured?.threads
        if let maxTokens = configured?.models.first?.maxTokens { settings.defaultMaxTokens = maxTokens }
        if let reason = settings.missingFilesReason() {
            let binaryMissing = reason.hasPrefix("llama-server")
            throw StartupError(
                path: binaryMissing ? "models.providers.local.binary" : "models.providers.local.modelPath",
                value: "\"\(binaryMissing ? settings.binary : settings.modelPath)\"", reason: reason)
        }
        return settings
    }
}
