import Foundation
import GatewayConfig
import Testing

/// D-9: `openclaw.json` is JSON5; unknown keys are warnings with full paths, bad values are errors.
@Suite struct ConfigParsingTests {
    private func load(_ text: String) throws -> LoadedConfig {
        try ConfigLoader.parse(Data(text.utf8))
    }

    private func configError(_ text: String) throws -> ConfigError {
        try #require(throws: ConfigError.self) { try load(text) }
    }

    @Test("D-9: JSON5 comments, trailing commas, unquoted keys and single quotes parse")
    func json5Features() throws {
        let loaded = try load(
            """
            // line comment
            {
              /* block comment */
              gateway: {
                port: 19000,  // trailing comment
                bind: 'lan',
                auth: { mode: "token", token: 'secret', },
              },
              agents: {
                list: [
                  { id: "alpha", default: true, },
                  { id: "beta", model: "openai/gpt-4.1-mini" },
                ],
              },
            }
            """)
        #expect(loaded.unknownKeys.isEmpty)
        #expect(loaded.config.gateway.port == 19000)
        #expect(loaded.config.gateway.bind == .lan)
        #expect(loaded.config.gateway.auth.mode == .token)
        #expect(loaded.config.gateway.auth.token == "secret")
        #expect(loaded.config.agents.list.map(\.id) == ["alpha", "beta"])
        #expect(loaded.config.agents.list[0].isDefault)
        #expect(loaded.config.agents.list[1].settings.model == ModelSelection(primary: "openai/gpt-4.1-mini"))
    }

    @Test("D-9: an empty object gives the defaults")
    func emptyObjectDefaults() throws {
        let loaded = try load("{}")
        #expect(loaded.config == OpenClawConfig())
        #expect(loaded.unknownKeys.isEmpty)
    }

    @Test("D-9: unknown keys are reported with their full paths, known keys still apply")
    func unknownKeysWithPaths() throws {
        let loaded = try load(
            """
            {
              gateway: { port: 1234, bogus: 1, auth: { mode: "none", extra: true } },
              agents: { list: [ { id: "main", whatever: "x" }, { id: "two", nested: { a: 1 } } ] },
              channels: { whatsapp: {} },
            }
            """)
        #expect(loaded.config.gateway.port == 1234)
        #expect(Set(loaded.unknownKeys) == [
            "gateway.bogus", "gateway.auth.extra", "agents.list[0].whatever", "agents.list[1].nested", "channels",
        ])
        #expect(loaded.unknownKeys.count == 5, "each unknown key is reported once")
    }

    @Test("D-9: text that is not JSON5 fails with a ConfigFileError")
    func notJSON5() {
        #expect(throws: ConfigFileError.self) { try load("{ gateway: ") }
    }

    @Test(
        "D-9: a bad value names the key path, the value and what was expected",
        arguments: [
            (#"{gateway: {port: "abc"}}"#, "gateway.port", #""abc""#, "an integer 0-65535"),
            (#"{gateway: {port: 70000}}"#, "gateway.port", "70000", "an integer 0-65535"),
            (#"{gateway: {bind: "moon"}}"#, "gateway.bind", #""moon""#, "loopback"),
            (#"{gateway: {auth: {mode: "magic"}}}"#, "gateway.auth.mode", #""magic""#, "trusted-proxy"),
            (#"{agents: {list: [{id: "Bad Id"}]}}"#, "agents.list[0].id", #""Bad Id""#, "agent id"),
            (#"{agents: {list: [{id: "ok", model: "nomodelslash"}]}}"#, "agents.list[0].model",
             #""nomodelslash""#, "provider/model"),
            (#"{agents: {defaults: {model: {primary: "a/b", fallbacks: ["nope"]}}}}"#,
             "agents.defaults.model.fallbacks[0]", #""nope""#, "provider/model"),
            (#"{agents: {list: [{id: "dup"}, {id: "dup"}]}}"#, "agents.list[1]", #""dup""#, "a unique agent id"),
            (#"{agents: {list: [{name: "x"}]}}"#, "agents.list[0]", "name", #"an object with an "id""#),
            (#"{gateway: "x"}"#, "gateway", #""x""#, "an object"),
            (#"{agents: {defaults: {publicMode: "yes"}}}"#, "agents.defaults.publicMode", #""yes""#, "true or false"),
            (#"{models: {providers: {p: {baseUrl: "ftp://x"}}}}"#, "models.providers.p.baseUrl", "ftp://x", "http://"),
        ])
    func badValues(text: String, path: String, value: String, expected: String) throws {
        let error = try configError(text)
        #expect(error.path == path)
        #expect(error.value.contains(value))
        #expect(error.expected.contains(expected))
        #expect(error.description.contains(path))
        #expect(error.description.contains(value))
    }

    @Test("D-9: bind mode error lists every allowed mode")
    func bindErrorListsModes() throws {
        let error = try configError(#"{gateway: {bind: "moon"}}"#)
        for mode in BindMode.allCases {
            #expect(error.expected.contains("\"\(mode.rawValue)\""))
        }
    }

    @Test("V1: agents.defaults.model accepts a string or {primary, fallbacks}")
    func modelSelectionForms() throws {
        let string = try load(#"{agents: {defaults: {model: "openai/gpt-4.1-mini"}}}"#)
        #expect(string.config.agents.defaults.model == ModelSelection(primary: "openai/gpt-4.1-mini"))
        let object = try load(
            #"{agents: {defaults: {model: {primary: "openai/a", fallbacks: ["ollama/b", "local/c"]}}}}"#)
        #expect(
            object.config.agents.defaults.model
                == ModelSelection(primary: "openai/a", fallbacks: ["ollama/b", "local/c"]))
    }

    @Test("D-3: gateway.auth.rateLimit present gives defaults for missing fields")
    func rateLimitDefaults() throws {
        let loaded = try load(#"{gateway: {auth: {rateLimit: {maxAttempts: 3}}}}"#)
        let limit = try #require(loaded.config.gateway.auth.rateLimit)
        #expect(limit.maxAttempts == 3)
        #expect(limit.windowMs == 60_000)
        #expect(limit.lockoutMs == 300_000)
        #expect(limit.exemptLoopback)
        #expect(try load("{}").config.gateway.auth.rateLimit == nil)
    }

    @Test("B1: endpoints are disabled by default and enabled by config")
    func endpointFlags() throws {
        #expect(try load("{}").config.gateway.http.chatCompletions.enabled == false)
        let loaded = try load(#"{gateway: {http: {endpoints: {chatCompletions: {enabled: true}}}}}"#)
        #expect(loaded.config.gateway.http.chatCompletions.enabled)
        #expect(loaded.config.gateway.http.responses.enabled == false)
    }

    @Test("G3: agent ids in the config are lowercased")
    func agentIdsLowercased() throws {
        let loaded = try load(#"{agents: {list: [{id: "Alpha"}]}}"#)
        #expect(loaded.config.agents.list.map(\.id) == ["alpha"])
    }
}
