import AsyncHTTPClient
import GatewayConfig
import Logging
import NIOCore

/// Resolves a `provider/model` ref to a provider instance (V2): configured providers first,
/// then the built-ins `openai`, `anthropic`, `ollama` and `local`.
public struct ProviderRegistry: Sendable {
    private let providers: [String: any ModelProvider]

    /// - Parameters:
    ///   - config: `models` section of the config.
    ///   - environment: for `${ENV}` API keys and the built-ins' key variables.
    ///   - clients: the shared upstream HTTP clients (owned by the caller).
    ///   - extra: providers built elsewhere (the supervised `local` provider, test doubles).
    public init(
        config: ModelsSection, environment: [String: String], clients: UpstreamClients,
        extra: [String: any ModelProvider] = [:], logger: Logger
    ) {
        var providers: [String: any ModelProvider] = [:]
        let builtins: [String: (url: String, keyVar: String?)] = [
            "openai": ("https://api.openai.com/v1", "OPENAI_API_KEY"),
            "ollama": ("http://127.0.0.1:11434/v1", nil),
        ]
        for (id, builtin) in builtins {
            providers[id] = OpenAICompatibleProvider(
                id: id, baseURL: builtin.url, apiKey: builtin.keyVar.flatMap { environment[$0] }, clients: clients,
                logger: logger)
        }
        providers["anthropic"] = AnthropicProvider(
            id: "anthropic", baseURL: Self.anthropicURL, apiKey: environment["ANTHROPIC_API_KEY"], clients: clients,
            logger: logger)
        for (id, p) in config.providers where id != "local" {
            let api = p.api ?? (id == "anthropic" ? .anthropicMessages : .openaiCompletions)
            let key = p.apiKey.map { Self.expand($0, environment) } ?? builtins[id]?.keyVar.flatMap { environment[$0] }
            let headers = p.headers.mapValues { Self.expand($0, environment) }
            // `timeoutSeconds` bounds both the wait for the response head and any silence after it.
            let configured = p.timeoutSeconds.map { TimeAmount.milliseconds(Int64($0 * 1000)) }
            let timeout = configured ?? .seconds(300)
            let idle = configured ?? .seconds(120)
            let builtinURL = id == "anthropic" ? Self.anthropicURL : builtins[id]?.url
            let builtinKey = id == "anthropic" ? environment["ANTHROPIC_API_KEY"] : nil
            guard let baseURL = p.baseUrl ?? builtinURL else { continue }
            switch api {
            case .openaiCompletions:
                providers[id] = OpenAICompatibleProvider(
                    id: id, baseURL: baseURL, apiKey: key, headers: headers, clients: clients, headTimeout: timeout,
                    idleTimeout: idle, logger: logger)
            case .anthropicMessages:
                providers[id] = AnthropicProvider(
                    id: id, baseURL: baseURL, apiKey: key ?? builtinKey, headers: headers, clients: clients,
                    headTimeout: timeout, idleTimeout: idle, defaultMaxTokens: p.models.compactMap(\.maxTokens).first ?? 4096,
                    logger: logger)
            }
        }
        for (id, provider) in extra { providers[id] = provider }
        self.providers = providers
    }

    static let anthropicURL = "https://api.anthropic.com"

    public init(providers: [String: any ModelProvider]) {
        self.providers = providers
    }

    /// The provider for `ref.provider`.
    public func provider(for ref: ModelRef) throws -> any ModelProvider {
        guard let provider = providers[ref.provider] else {
            throw ProviderError(
                kind: .unavailable, provider: ref.provider,
                message: "unknown model provider '\(ref.provider)' (configure models.providers.\(ref.provider))")
        }
        return provider
    }

    /// `${NAME}` → the environment value (empty when unset).
    static func expand(_ value: String, _ environment: [String: String]) -> String {
        guard value.hasPrefix("${"), value.hasSuffix("}") else { return value }
        return environment[String(value.dropFirst(2).dropLast())] ?? ""
    }
}

/// A provider that is known but cannot serve requests; every call fails with its reason.
public struct UnavailableProvider: ModelProvider {
    public let id: String
    let reason: String

    public init(id: String, reason: String) {
        self.id = id
        self.reason = reason
    }

    public func complete(
        _ request: ModelRequest, onEvent: (ModelStreamEvent) async throws -> Void
    ) async throws -> ModelResponse {
        throw ProviderError(kind: .unavailable, provider: id, message: reason)
    }
}
