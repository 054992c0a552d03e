import Foundation

/// One agent with every default applied (V4, D-10).
public struct ResolvedAgent: Sendable, Equatable {
    public var id: String
    public var name: String?
    public var isDefault: Bool
    public var workspace: String
    public var model: ModelSelection
    public var publicMode: Bool
    public var systemPrompt: String?
    public var tools: ToolPolicyConfig
    public var skills: [String]?
    public var timeoutSeconds: Int
    public var maxToolIterations: Int
}

/// The configured agents, in config order, and which one is the default (G3, G4).
public struct AgentCatalog: Sendable {
    /// The model every agent uses when none is configured anywhere (V3).
    public static let builtinDefaultModel = "local/smollm2-135m-instruct"
    public static let defaultTimeoutSeconds = 600
    public static let defaultMaxToolIterations = 16

    public let agents: [ResolvedAgent]
    public let defaultAgentId: String

    public init(config: OpenClawConfig, stateDir: StatePaths, environment: [String: String] = [:]) {
        let defaults = config.agents.defaults
        let entries = config.agents.list.isEmpty ? [AgentEntry(id: "main")] : config.agents.list
        // G4: first entry with default: true, else the first entry, else `main`.
        let defaultId = entries.first(where: \.isDefault)?.id ?? entries[0].id
        self.defaultAgentId = defaultId
        self.agents = entries.map { entry in
            let s = entry.settings
            let isDefault = entry.id == defaultId
            let workspace: String
            if let w = s.workspace {
                workspace = StatePaths.expandTilde(w, environment)
            } else if isDefault, let w = defaults.workspace {
                workspace = StatePaths.expandTilde(w, environment)
            } else {
                workspace = stateDir.path(isDefault ? "workspace" : "workspace-\(entry.id)")
            }
            return ResolvedAgent(
                id: entry.id, name: entry.name, isDefault: isDefault, workspace: workspace,
                model: s.model ?? defaults.model ?? ModelSelection(primary: Self.builtinDefaultModel),
                publicMode: s.publicMode ?? defaults.publicMode ?? false,
                systemPrompt: s.systemPrompt ?? defaults.systemPrompt,
                tools: s.tools ?? defaults.tools ?? ToolPolicyConfig(),
                skills: s.skills ?? defaults.skills,
                timeoutSeconds: s.timeoutSeconds ?? defaults.timeoutSeconds ?? Self.defaultTimeoutSeconds,
                maxToolIterations: s.maxToolIterations ?? defaults.maxToolIterations ?? Self.defaultMaxToolIterations)
        }
    }

    public func agent(_ id: String) -> ResolvedAgent? {
        agents.first { $0.id == id }
    }

    public var defaultAgent: ResolvedAgent {
        agent(defaultAgentId)!
    }
}
