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
    /// Services to run for as long as the runtime is used (upstream HTTP client, ...), in start order.
    public let services: [any Service]

    public init(
        config: OpenClawConfig, statePaths: StatePaths, environment: [String: String], logger: Logger
    ) throws {
        let store = try SQLiteSessionStore(path: statePaths.database)
        let httpClient = HTTPClientService()
        let providers = ProviderRegistry(
            config: config.models, environment: environment, client: httpClient.client, logger: logger)
        let catalog = AgentCatalog(config: config, stateDir: statePaths, environment: environment)
        self.store = store
        self.runtime = AgentRuntime(catalog: catalog, providers: providers, store: store, logger: logger)
        self.services = [httpClient]
    }
}
