import Foundation

/// A refused start: names the key path, the value and the reason (D-10), on one line.
public struct StartupError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var value: String
    public var reason: String

    public init(path: String, value: String, reason: String) {
        self.path = path
        self.value = value
        self.reason = reason
    }

    public var description: String { "refusing to start: \(path) = \(value): \(reason)" }
}

/// The shared secret the gateway checks (C1, C2).
public struct ResolvedAuth: Sendable, Equatable {
    public var mode: AuthMode
    public var token: String?
    public var password: String?

    public init(mode: AuthMode, token: String? = nil, password: String? = nil) {
        self.mode = mode
        self.token = token
        self.password = password
    }

    /// Resolves mode and secret: config beats env; an unset mode becomes password when a
    /// password resolves, else token (C2).
    public static func resolve(_ section: AuthSection, environment: [String: String]) throws(StartupError)
        -> ResolvedAuth
    {
        func nonEmpty(_ s: String?) -> String? {
            guard let s = s?.trimmingCharacters(in: .whitespaces), !s.isEmpty else { return nil }
            return s
        }
        let token = nonEmpty(section.token) ?? nonEmpty(environment["OPENCLAW_GATEWAY_TOKEN"])
        let password = nonEmpty(section.password) ?? nonEmpty(environment["OPENCLAW_GATEWAY_PASSWORD"])
        let mode = section.mode ?? (password != nil ? .password : .token)
        let shownMode = section.mode.map { "\"\($0.rawValue)\"" } ?? "(unset, resolved to \"\(mode.rawValue)\")"
        switch mode {
        case .token where token == nil:
            throw StartupError(
                path: "gateway.auth.mode", value: shownMode,
                reason:
                    "gateway auth mode is token, but no token was configured (set gateway.auth.token or OPENCLAW_GATEWAY_TOKEN)"
            )
        case .password where password == nil:
            throw StartupError(
                path: "gateway.auth.mode", value: shownMode,
                reason:
                    "gateway auth mode is password, but no password was configured (set gateway.auth.password or OPENCLAW_GATEWAY_PASSWORD)"
            )
        case .trustedProxy:
            throw StartupError(
                path: "gateway.auth.mode", value: shownMode,
                reason: "trusted-proxy auth is not supported by swift-openclaw yet; use token or password")
        default:
            return ResolvedAuth(mode: mode, token: token, password: password)
        }
    }
}

/// Everything the gateway process needs, after config, env and CLI flags are layered.
public struct GatewaySettings: Sendable {
    /// CLI flags, which beat env and config.
    public struct Overrides: Sendable {
        public var port: Int?
        public var bind: BindMode?
        public var host: String?
        public init(port: Int? = nil, bind: BindMode? = nil, host: String? = nil) {
            self.port = port
            self.bind = bind
            self.host = host
        }
    }

    public static let defaultPort = 18789
    /// Request body limit of the POST endpoints (B2 v-current: fixed 20 MiB).
    public static let maxBodyBytes = 20 * 1024 * 1024

    public var host: String
    public var port: Int
    public var auth: ResolvedAuth
    public var rateLimit: RateLimitConfig?
    public var chatCompletionsEnabled: Bool
    public var responsesEnabled: Bool
    public var streamToolActivity: Bool
    public var sseKeepAliveSeconds: Double
    public var trustedProxies: [String]

    /// Layers CLI flags → env → config → defaults (A1, A2) and refuses unsafe combinations.
    public static func resolve(
        config: OpenClawConfig, environment: [String: String], overrides: Overrides = Overrides()
    ) throws(StartupError) -> GatewaySettings {
        let port: Int
        if let p = overrides.port {
            port = p
        } else if let env = environment["OPENCLAW_GATEWAY_PORT"], !env.isEmpty {
            guard let p = Int(env), (0...65535).contains(p) else {
                throw StartupError(path: "OPENCLAW_GATEWAY_PORT", value: "\"\(env)\"", reason: "expected a port 0-65535")
            }
            port = p
        } else {
            port = config.gateway.port ?? defaultPort
        }

        let bind = overrides.bind ?? config.gateway.bind ?? (overrides.host != nil ? .custom : .loopback)
        let host: String
        switch bind {
        case .loopback: host = "127.0.0.1"
        case .lan, .auto: host = "0.0.0.0"
        case .tailnet:
            throw StartupError(
                path: "gateway.bind", value: "\"tailnet\"", reason: "tailnet binding is not supported; use lan or custom")
        case .custom:
            guard let h = overrides.host ?? config.gateway.customBindHost, !h.isEmpty else {
                throw StartupError(
                    path: "gateway.customBindHost", value: "(unset)", reason: "bind mode custom needs a host (--host)")
            }
            host = h
        }

        let auth = try ResolvedAuth.resolve(config.gateway.auth, environment: environment)
        if auth.mode == .none, !isLoopbackHost(host) {
            throw StartupError(
                path: "gateway.bind", value: "\"\(bind.rawValue)\" (\(host))",
                reason: "refusing to bind gateway without auth on a non-loopback address")
        }

        let http = config.gateway.http
        return GatewaySettings(
            host: host, port: port, auth: auth, rateLimit: config.gateway.auth.rateLimit,
            chatCompletionsEnabled: http.chatCompletions.enabled, responsesEnabled: http.responses.enabled,
            streamToolActivity: http.chatCompletions.streamToolActivity,
            sseKeepAliveSeconds: http.sseKeepAliveSeconds, trustedProxies: config.gateway.trustedProxies)
    }

    public init(
        host: String = "127.0.0.1", port: Int = 0, auth: ResolvedAuth, rateLimit: RateLimitConfig? = nil,
        chatCompletionsEnabled: Bool = true, responsesEnabled: Bool = false, streamToolActivity: Bool = false,
        sseKeepAliveSeconds: Double = 15, trustedProxies: [String] = []
    ) {
        self.host = host
        self.port = port
        self.auth = auth
        self.rateLimit = rateLimit
        self.chatCompletionsEnabled = chatCompletionsEnabled
        self.responsesEnabled = responsesEnabled
        self.streamToolActivity = streamToolActivity
        self.sseKeepAliveSeconds = sseKeepAliveSeconds
        self.trustedProxies = trustedProxies
    }

    /// 127.0.0.0/8 (as a dotted IPv4 address), ::1 and `localhost`.
    public static func isLoopbackHost(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }) else { return false }
        return octets[0] == "127"
    }
}

/// The state directory and the files in it (D-8, D-9, D-10).
public struct StatePaths: Sendable, Equatable {
    public var root: String

    public init(root: String) { self.root = root }

    /// `--state-dir`, then `OPENCLAW_STATE_DIR`, then `~/.openclaw`.
    public static func resolve(explicit: String?, environment: [String: String]) -> StatePaths {
        if let explicit, !explicit.isEmpty { return StatePaths(root: expandTilde(explicit, environment)) }
        if let env = environment["OPENCLAW_STATE_DIR"], !env.isEmpty {
            return StatePaths(root: expandTilde(env, environment))
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return StatePaths(root: (home as NSString).appendingPathComponent(".openclaw"))
    }

    public var database: String { path("state.db") }

    public func path(_ component: String) -> String {
        (root as NSString).appendingPathComponent(component)
    }

    public static func expandTilde(_ path: String, _ environment: [String: String]) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + path.dropFirst()
    }
}
