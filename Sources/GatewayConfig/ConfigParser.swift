import OpenAIWire

/// Maps the config tree onto `OpenClawConfig`, key by key.
enum ConfigParser {
    static func parse(_ root: ConfigNode) throws(ConfigError) -> OpenClawConfig {
        var config = OpenClawConfig()
        try root.object { (r) throws(ConfigError) in
            if let n = r("gateway") { config.gateway = try gateway(n) }
            if let n = r("models") { config.models = try models(n) }
            if let n = r("agents") { config.agents = try agents(n) }
        }
        return config
    }

    static func gateway(_ node: ConfigNode) throws(ConfigError) -> GatewaySection {
        var g = GatewaySection()
        try node.object { (r) throws(ConfigError) in
            g.port = try r("port")?.int(0...65535)
            g.bind = try r("bind")?.enumeration(BindMode.self)
            g.customBindHost = try r("customBindHost")?.string()
            g.trustedProxies = try r("trustedProxies")?.stringArray() ?? []
            if let n = r("auth") { g.auth = try auth(n) }
            if let n = r("http") { g.http = try http(n) }
        }
        return g
    }

    static func auth(_ node: ConfigNode) throws(ConfigError) -> AuthSection {
        var a = AuthSection()
        try node.object { (r) throws(ConfigError) in
            a.mode = try r("mode")?.enumeration(AuthMode.self)
            a.token = try r("token")?.string()
            a.password = try r("password")?.string()
            if let n = r("rateLimit") {
                var limit = RateLimitConfig()
                try n.object { (l) throws(ConfigError) in
                    if let v = l("maxAttempts") { limit.maxAttempts = try v.int(1...1_000_000) }
                    if let v = l("windowMs") { limit.windowMs = try v.int(1...86_400_000) }
                    if let v = l("lockoutMs") { limit.lockoutMs = try v.int(0...604_800_000) }
                    if let v = l("exemptLoopback") { limit.exemptLoopback = try v.bool() }
                }
                a.rateLimit = limit
            }
        }
        return a
    }

    static func http(_ node: ConfigNode) throws(ConfigError) -> HTTPSection {
        var h = HTTPSection()
        try node.object { (r) throws(ConfigError) in
            if let v = r("sseKeepAliveSeconds") { h.sseKeepAliveSeconds = try v.number(0...3600) }
            try r("endpoints")?.object { (e) throws(ConfigError) in
                try e("chatCompletions")?.object { (c) throws(ConfigError) in
                    if let v = c("enabled") { h.chatCompletions.enabled = try v.bool() }
                    if let v = c("streamToolActivity") { h.chatCompletions.streamToolActivity = try v.bool() }
                }
                try e("responses")?.object { (c) throws(ConfigError) in
                    if let v = c("enabled") { h.responses.enabled = try v.bool() }
                }
            }
        }
        return h
    }

    static func models(_ node: ConfigNode) throws(ConfigError) -> ModelsSection {
        var m = ModelsSection()
        try node.object { (r) throws(ConfigError) in
            try r("providers")?.object { (p) throws(ConfigError) in
                for (id, n) in p.entries() {
                    guard AgentID.isValid(id) else { throw n.fail("a provider id matching [a-z0-9][a-z0-9_-]*") }
                    m.providers[id] = try provider(n)
                }
            }
        }
        return m
    }

    static func provider(_ node: ConfigNode) throws(ConfigError) -> ProviderConfig {
        var p = ProviderConfig()
        try node.object { (r) throws(ConfigError) in
            if let n = r("baseUrl") {
                let url = try n.string()
                guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                    throw n.fail("an http:// or https:// URL")
                }
                p.baseUrl = url
            }
            p.apiKey = try r("apiKey")?.string()
            p.api = try r("api")?.enumeration(ProviderAPI.self)
            if let h = r("headers") {
                try h.object { (hr) throws(ConfigError) in
                    for (name, v) in hr.entries() { p.headers[name] = try v.string() }
                }
            }
            if let list = r("models") {
                p.models = try list.array().map { (n) throws(ConfigError) in try providerModel(n) }
            }
            p.timeoutSeconds = try r("timeoutSeconds")?.number(0.001...86_400)
            p.binary = try r("binary")?.string()
            p.modelPath = try r("modelPath")?.string()
            p.contextSize = try r("contextSize")?.int(128...1_048_576)
            p.threads = try r("threads")?.int(1...1024)
        }
        return p
    }

    static func providerModel(_ node: ConfigNode) throws(ConfigError) -> ProviderModel {
        var model = ProviderModel(id: "")
        try node.object { (r) throws(ConfigError) in
            guard let id = try r("id")?.string(), !id.isEmpty else { throw node.fail("an object with an \"id\"") }
            model.id = id
            model.name = try r("name")?.string()
            model.contextWindow = try r("contextWindow")?.int(1...100_000_000)
            model.maxTokens = try r("maxTokens")?.int(1...100_000_000)
            _ = r("input")
            _ = r("reasoning")
            _ = r("cost")
        }
        return model
    }

    static func agents(_ node: ConfigNode) throws(ConfigError) -> AgentsSection {
        var a = AgentsSection()
        try node.object { (r) throws(ConfigError) in
            if let n = r("defaults") {
                try n.object { (d) throws(ConfigError) in a.defaults = try agentSettings(&d) }
            }
            if let n = r("list") {
                var seen: Set<String> = []
                for item in try n.array() {
                    let entry = try agentEntry(item)
                    guard seen.insert(entry.id).inserted else { throw item.fail("a unique agent id") }
                    a.list.append(entry)
                }
            }
        }
        return a
    }

    static func agentEntry(_ node: ConfigNode) throws(ConfigError) -> AgentEntry {
        var entry = AgentEntry(id: "")
        try node.object { (r) throws(ConfigError) in
            guard let idNode = r("id") else { throw node.fail("an object with an \"id\"") }
            let id = try idNode.string().lowercased()
            guard AgentID.isValid(id) else { throw idNode.fail("an agent id matching [a-z0-9][a-z0-9_-]{0,63}") }
            entry.id = id
            entry.isDefault = try r("default")?.bool() ?? false
            entry.name = try r("name")?.string()
            entry.settings = try agentSettings(&r)
        }
        return entry
    }

    static func agentSettings(_ r: inout ObjectReader) throws(ConfigError) -> AgentSettings {
        var s = AgentSettings()
        if let n = r("model") { s.model = try modelSelection(n) }
        s.publicMode = try r("publicMode")?.bool()
        s.systemPrompt = try r("systemPrompt")?.string()
        s.workspace = try r("workspace")?.string()
        s.skills = try r("skills")?.stringArray()
        s.timeoutSeconds = try r("timeoutSeconds")?.int(1...86_400)
        s.maxToolIterations = try r("maxToolIterations")?.int(1...1000)
        if let n = r("tools") {
            var policy = ToolPolicyConfig()
            try n.object { (t) throws(ConfigError) in
                policy.allow = try t("allow")?.stringArray()
                policy.deny = try t("deny")?.stringArray() ?? []
            }
            s.tools = policy
        }
        return s
    }

    static func modelSelection(_ node: ConfigNode) throws(ConfigError) -> ModelSelection {
        func ref(_ n: ConfigNode) throws(ConfigError) -> String {
            let s = try n.string()
            guard ModelRefSyntax.isValid(s) else { throw n.fail("a model ref \"provider/model\"") }
            return s
        }
        if case .string = node.value { return ModelSelection(primary: try ref(node)) }
        var selection = ModelSelection(primary: "")
        try node.object { (r) throws(ConfigError) in
            guard let p = r("primary") else { throw node.fail("a \"provider/model\" string or {primary, fallbacks}") }
            selection.primary = try ref(p)
            if let f = r("fallbacks") {
                selection.fallbacks = try f.array().map { (n) throws(ConfigError) in try ref(n) }
            }
        }
        return selection
    }
}

/// Agent and provider id syntax (G2, G3): `[a-z0-9][a-z0-9_-]{0,63}`.
public enum AgentID {
    public static func isValid(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard (1...64).contains(bytes.count) else { return false }
        func ok(_ b: UInt8, first: Bool) -> Bool {
            (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || (!first && (b == 0x5F || b == 0x2D))
        }
        return bytes.enumerated().allSatisfy { ok($1, first: $0 == 0) }
    }
}

/// `provider/model` syntax (V1): both parts non-empty, provider a valid id.
public enum ModelRefSyntax {
    public static func isValid(_ ref: String) -> Bool {
        guard let slash = ref.firstIndex(of: "/") else { return false }
        let provider = String(ref[..<slash])
        let model = ref[ref.index(after: slash)...]
        return AgentID.isValid(provider) && !model.isEmpty
    }
}
