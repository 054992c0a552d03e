/// The swift-openclaw configuration (`openclaw.json`, JSON5), as read from the file.
///
/// Values here are what the file says; `GatewaySettings` and `AgentCatalog` turn them into what
/// the process uses (env overrides, defaults, validation that spans keys).
public struct OpenClawConfig: Sendable, Equatable {
    public var gateway = GatewaySection()
    public var models = ModelsSection()
    public var agents = AgentsSection()

    public init() {}
}

public enum BindMode: String, Sendable, Equatable, CaseIterable {
    case loopback, lan, tailnet, auto, custom
}

public enum AuthMode: String, Sendable, Equatable, CaseIterable {
    case none, token, password
    case trustedProxy = "trusted-proxy"
}

public struct GatewaySection: Sendable, Equatable {
    public var port: Int?
    public var bind: BindMode?
    public var customBindHost: String?
    public var auth = AuthSection()
    public var http = HTTPSection()
    public var trustedProxies: [String] = []
    public init() {}
}

public struct AuthSection: Sendable, Equatable {
    public var mode: AuthMode?
    public var token: String?
    public var password: String?
    public var rateLimit: RateLimitConfig?
    public init() {}
}

/// Failed-auth limiter settings (D1, D-3). Present in config ⇒ the HTTP limiter exists.
public struct RateLimitConfig: Sendable, Equatable {
    public var maxAttempts = 10
    public var windowMs = 60_000
    public var lockoutMs = 300_000
    public var exemptLoopback = true
    public init() {}
}

public struct HTTPSection: Sendable, Equatable {
    public var chatCompletions = ChatCompletionsEndpoint()
    public var responses = ResponsesEndpoint()
    /// Seconds of silence after which a stream gets a `: ping` comment (D-4); 0 disables.
    public var sseKeepAliveSeconds: Double = 15
    public init() {}
}

public struct ChatCompletionsEndpoint: Sendable, Equatable {
    public var enabled = false
    public var streamToolActivity = false
    public init() {}
}

public struct ResponsesEndpoint: Sendable, Equatable {
    public var enabled = false
    public init() {}
}

public struct ModelsSection: Sendable, Equatable {
    public var providers: [String: ProviderConfig] = [:]
    public init() {}
}

public enum ProviderAPI: String, Sendable, Equatable, CaseIterable {
    case openaiCompletions = "openai-completions"
    case anthropicMessages = "anthropic-messages"
}

/// `models.providers.<id>` (V2); `binary`, `modelPath`, `contextSize`, `threads` are for `local`.
public struct ProviderConfig: Sendable, Equatable {
    public var baseUrl: String?
    public var apiKey: String?
    public var api: ProviderAPI?
    public var headers: [String: String] = [:]
    public var models: [ProviderModel] = []
    public var timeoutSeconds: Double?
    public var binary: String?
    public var modelPath: String?
    public var contextSize: Int?
    public var threads: Int?
    public init() {}
}

public struct ProviderModel: Sendable, Equatable {
    public var id: String
    public var name: String?
    public var contextWindow: Int?
    public var maxTokens: Int?
    public init(id: String) { self.id = id }
}

/// `agents.defaults.model` / `agents.list[].model`: a ref string or `{primary, fallbacks}` (V1).
public struct ModelSelection: Sendable, Equatable {
    public var primary: String
    public var fallbacks: [String]
    public init(primary: String, fallbacks: [String] = []) {
        self.primary = primary
        self.fallbacks = fallbacks
    }
}

public struct ToolPolicyConfig: Sendable, Equatable {
    public var allow: [String]?
    public var deny: [String] = []
    public init() {}
}

/// Fields shared by `agents.defaults` and `agents.list[]` (V4).
public struct AgentSettings: Sendable, Equatable {
    public var model: ModelSelection?
    public var publicMode: Bool?
    public var systemPrompt: String?
    public var workspace: String?
    public var tools: ToolPolicyConfig?
    public var skills: [String]?
    public var timeoutSeconds: Int?
    public var maxToolIterations: Int?
    public init() {}
}

public struct AgentEntry: Sendable, Equatable {
    public var id: String
    public var isDefault = false
    public var name: String?
    public var settings = AgentSettings()
    public init(id: String) { self.id = id }
}

public struct AgentsSection: Sendable, Equatable {
    public var defaults = AgentSettings()
    public var list: [AgentEntry] = []
    public init() {}
}
