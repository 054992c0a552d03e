import Foundation
import GatewayConfig
import Testing

/// A1, A2, C2: layering of CLI flags, env and config, and refused starts.
@Suite struct GatewaySettingsTests {
    private func config(_ text: String) throws -> OpenClawConfig {
        try ConfigLoader.parse(Data(text.utf8)).config
    }

    private let tokenEnv = ["OPENCLAW_GATEWAY_TOKEN": "t"]

    // MARK: C2 auth resolution

    private func auth(
        mode: AuthMode? = nil, token: String? = nil, password: String? = nil, env: [String: String] = [:]
    ) throws(StartupError) -> ResolvedAuth {
        var section = AuthSection()
        section.mode = mode
        section.token = token
        section.password = password
        return try ResolvedAuth.resolve(section, environment: env)
    }

    @Test("C2: with mode unset, a resolved password selects password mode")
    func passwordWinsWhenOnlyPasswordResolves() throws {
        #expect(try auth(password: "pw") == ResolvedAuth(mode: .password, password: "pw"))
    }

    @Test("C2: with mode unset and both secrets, password mode is chosen")
    func passwordPreferredOverToken() throws {
        #expect(try auth(token: "tk", password: "pw").mode == .password)
    }

    @Test("C2: with mode unset and only a token, token mode is chosen")
    func tokenModeFromToken() throws {
        #expect(try auth(token: "tk") == ResolvedAuth(mode: .token, token: "tk"))
    }

    @Test("C2: secrets fall back to OPENCLAW_GATEWAY_TOKEN / OPENCLAW_GATEWAY_PASSWORD")
    func envFallback() throws {
        #expect(try auth(env: ["OPENCLAW_GATEWAY_TOKEN": "envtok"]) == ResolvedAuth(mode: .token, token: "envtok"))
        #expect(
            try auth(env: ["OPENCLAW_GATEWAY_PASSWORD": "envpw"]) == ResolvedAuth(mode: .password, password: "envpw"))
    }

    @Test("C2: config secrets take precedence over env secrets")
    func configBeatsEnv() throws {
        let env = ["OPENCLAW_GATEWAY_TOKEN": "envtok", "OPENCLAW_GATEWAY_PASSWORD": "envpw"]
        let resolved = try auth(mode: .token, token: "cfgtok", password: "cfgpw", env: env)
        #expect(resolved.token == "cfgtok")
        #expect(resolved.password == "cfgpw")
    }

    @Test("C2: legacy CLAWDBOT_/MOLTBOT_ env names are ignored")
    func legacyEnvIgnored() {
        #expect(throws: StartupError.self) {
            try auth(env: ["CLAWDBOT_GATEWAY_TOKEN": "x", "MOLTBOT_GATEWAY_TOKEN": "y"])
        }
    }

    @Test("C2: token mode without a token refuses to start and says how to set one", arguments: [
        AuthMode?.some(.token), nil,
    ])
    func tokenModeWithoutToken(mode: AuthMode?) throws {
        let error = try #require(throws: StartupError.self) { try auth(mode: mode, token: "  ") }
        #expect(error.path == "gateway.auth.mode")
        #expect(error.description.contains("gateway.auth.token or OPENCLAW_GATEWAY_TOKEN"))
    }

    @Test("C2: password mode without a password refuses to start")
    func passwordModeWithoutPassword() throws {
        let error = try #require(throws: StartupError.self) { try auth(mode: .password, token: "tk") }
        #expect(error.description.contains("gateway.auth.password or OPENCLAW_GATEWAY_PASSWORD"))
    }

    @Test("C1: mode none needs no secret")
    func modeNone() throws {
        #expect(try auth(mode: AuthMode.none).mode == AuthMode.none)
    }

    // MARK: A1 port precedence

    @Test(
        "A1: port precedence is CLI > OPENCLAW_GATEWAY_PORT > gateway.port > 18789",
        arguments: [
            (Int?.some(1111), "2222", "{gateway: {port: 3333}}", 1111),
            (nil, "2222", "{gateway: {port: 3333}}", 2222),
            (nil, "", "{gateway: {port: 3333}}", 3333),
            (nil, "", "{}", 18789),
            (Int?.some(0), "2222", "{}", 0),
        ])
    func portPrecedence(cli: Int?, envPort: String, text: String, expected: Int) throws {
        var env = tokenEnv
        if !envPort.isEmpty { env["OPENCLAW_GATEWAY_PORT"] = envPort }
        let settings = try GatewaySettings.resolve(
            config: try config(text), environment: env, overrides: .init(port: cli))
        #expect(settings.port == expected)
    }

    @Test("A1: an invalid OPENCLAW_GATEWAY_PORT refuses to start", arguments: ["abc", "70000", "-1"])
    func invalidEnvPort(value: String) throws {
        var env = tokenEnv
        env["OPENCLAW_GATEWAY_PORT"] = value
        let error = try #require(throws: StartupError.self) {
            try GatewaySettings.resolve(config: OpenClawConfig(), environment: env)
        }
        #expect(error.path == "OPENCLAW_GATEWAY_PORT")
        #expect(error.value.contains(value))
    }

    // MARK: A2 bind policy

    @Test("A2: the default bind is loopback on 127.0.0.1")
    func loopbackDefault() throws {
        let settings = try GatewaySettings.resolve(config: OpenClawConfig(), environment: tokenEnv)
        #expect(settings.host == "127.0.0.1")
        #expect(settings.port == GatewaySettings.defaultPort)
        #expect(settings.auth == ResolvedAuth(mode: .token, token: "t"))
    }

    @Test("A2: lan bind with auth mode none refuses to start")
    func lanWithoutAuthRefused() throws {
        let cfg = try config(#"{gateway: {bind: "lan", auth: {mode: "none"}}}"#)
        let error = try #require(throws: StartupError.self) {
            try GatewaySettings.resolve(config: cfg, environment: [:])
        }
        #expect(error.path == "gateway.bind")
        #expect(error.reason.contains("refusing to bind gateway without auth"))
    }

    @Test("A2: a --bind lan override with auth mode none also refuses to start")
    func lanOverrideWithoutAuthRefused() throws {
        let cfg = try config(#"{gateway: {auth: {mode: "none"}}}"#)
        #expect(throws: StartupError.self) {
            try GatewaySettings.resolve(config: cfg, environment: [:], overrides: .init(bind: .lan))
        }
        // Loopback with mode none is fine.
        #expect(try GatewaySettings.resolve(config: cfg, environment: [:]).auth.mode == AuthMode.none)
    }

    @Test("A2: lan bind with a token listens on 0.0.0.0")
    func lanWithAuth() throws {
        let cfg = try config(#"{gateway: {bind: "lan", auth: {token: "abc"}}}"#)
        let settings = try GatewaySettings.resolve(config: cfg, environment: [:])
        #expect(settings.host == "0.0.0.0")
        #expect(settings.auth.mode == .token)
    }

    @Test("A2: custom bind uses --host or gateway.customBindHost, and needs one")
    func customBind() throws {
        let withHost = try GatewaySettings.resolve(
            config: try config(#"{gateway: {bind: "custom", customBindHost: "10.0.0.5"}}"#), environment: tokenEnv)
        #expect(withHost.host == "10.0.0.5")
        let fromFlag = try GatewaySettings.resolve(
            config: OpenClawConfig(), environment: tokenEnv, overrides: .init(host: "127.0.0.2"))
        #expect(fromFlag.host == "127.0.0.2")
        #expect(throws: StartupError.self) {
            try GatewaySettings.resolve(config: try config(#"{gateway: {bind: "custom"}}"#), environment: tokenEnv)
        }
    }

    @Test("D-3: the rate limiter setting and endpoint flags are carried into the settings")
    func carriedSettings() throws {
        let cfg = try config(
            #"{gateway: {auth: {rateLimit: {}}, http: {sseKeepAliveSeconds: 0, endpoints: {chatCompletions: {enabled: true}}}}}"#)
        let settings = try GatewaySettings.resolve(config: cfg, environment: tokenEnv)
        #expect(settings.rateLimit == RateLimitConfig())
        #expect(settings.chatCompletionsEnabled)
        #expect(!settings.responsesEnabled)
        #expect(settings.sseKeepAliveSeconds == 0)
    }

    @Test("D5: loopback hosts are 127.0.0.0/8, ::1 and localhost", arguments: [
        ("127.0.0.1", true), ("127.8.9.10", true), ("::1", true), ("localhost", true),
        ("0.0.0.0", false), ("10.0.0.1", false), ("128.0.0.1", false),
    ])
    func loopbackHosts(host: String, loopback: Bool) {
        #expect(GatewaySettings.isLoopbackHost(host) == loopback)
    }
}
