import Foundation
import GatewayConfig
import Testing

/// G4, V3, V4, D-1, D-10: agents with every default applied.
@Suite struct AgentCatalogTests {
    private let state = StatePaths(root: "/state")

    private func catalog(_ text: String, environment: [String: String] = [:]) throws -> AgentCatalog {
        AgentCatalog(config: try ConfigLoader.parse(Data(text.utf8)).config, stateDir: state, environment: environment)
    }

    @Test("V4/G4: with no agents.list a single default agent `main` exists")
    func implicitMain() throws {
        let c = try catalog("{}")
        #expect(c.agents.map(\.id) == ["main"])
        #expect(c.defaultAgentId == "main")
        #expect(c.defaultAgent.isDefault)
    }

    @Test("G4: the first entry with default: true is the default agent")
    func explicitDefault() throws {
        let c = try catalog(#"{agents: {list: [{id: "a"}, {id: "b", default: true}, {id: "c", default: true}]}}"#)
        #expect(c.defaultAgentId == "b")
        #expect(c.agents.filter(\.isDefault).map(\.id) == ["b"])
    }

    @Test("G4: without default: true the first entry is the default agent")
    func firstEntryDefault() throws {
        let c = try catalog(#"{agents: {list: [{id: "x"}, {id: "y"}]}}"#)
        #expect(c.defaultAgentId == "x")
        #expect(c.agent("y")?.isDefault == false)
        #expect(c.agent("main") == nil)
    }

    @Test("D-10: default workspaces are <stateDir>/workspace and <stateDir>/workspace-<id>")
    func defaultWorkspaces() throws {
        let c = try catalog(#"{agents: {list: [{id: "alpha"}, {id: "beta", default: true}]}}"#)
        #expect(c.agent("beta")?.workspace == "/state/workspace")
        #expect(c.agent("alpha")?.workspace == "/state/workspace-alpha")
        #expect(try catalog("{}").defaultAgent.workspace == "/state/workspace")
    }

    @Test("V4: an explicit workspace wins and ~ expands to HOME")
    func explicitWorkspace() throws {
        let c = try catalog(
            #"{agents: {list: [{id: "a", workspace: "~/ws-a"}, {id: "b", workspace: "/abs/b"}]}}"#,
            environment: ["HOME": "/home/u"])
        #expect(c.agent("a")?.workspace == "/home/u/ws-a")
        #expect(c.agent("b")?.workspace == "/abs/b")
    }

    @Test("V4: agents.defaults.workspace is the default agent's workspace only")
    func defaultsWorkspace() throws {
        let c = try catalog(#"{agents: {defaults: {workspace: "/shared"}, list: [{id: "a"}, {id: "b"}]}}"#)
        #expect(c.agent("a")?.workspace == "/shared")
        #expect(c.agent("b")?.workspace == "/state/workspace-b")
    }

    @Test("V3: with no model configured anywhere agents use local/smollm2-135m-instruct")
    func builtinDefaultModel() throws {
        #expect(AgentCatalog.builtinDefaultModel == "local/smollm2-135m-instruct")
        let model = try catalog("{}").defaultAgent.model
        #expect(model == ModelSelection(primary: "local/smollm2-135m-instruct"))
    }

    @Test("V1/V4: an agent's own model overrides agents.defaults.model")
    func modelOverride() throws {
        let c = try catalog(
            #"""
            {agents: {defaults: {model: {primary: "openai/a", fallbacks: ["ollama/b"]}},
                      list: [{id: "x"}, {id: "y", model: "anthropic/c"}]}}
            """#)
        #expect(c.agent("x")?.model == ModelSelection(primary: "openai/a", fallbacks: ["ollama/b"]))
        #expect(c.agent("y")?.model == ModelSelection(primary: "anthropic/c"))
    }

    @Test("D-1/U2: an explicit per-agent publicMode false beats a default true")
    func publicModePrecedence() throws {
        let c = try catalog(
            #"{agents: {defaults: {publicMode: true}, list: [{id: "pub"}, {id: "priv", publicMode: false}]}}"#)
        #expect(c.agent("pub")?.publicMode == true)
        #expect(c.agent("priv")?.publicMode == false)
        #expect(try catalog("{}").defaultAgent.publicMode == false)
        let perAgent = try catalog(#"{agents: {list: [{id: "p", publicMode: true}]}}"#)
        #expect(perAgent.defaultAgent.publicMode)
    }

    @Test("V4: systemPrompt, timeout and tool iteration defaults are inherited and overridable")
    func otherDefaults() throws {
        let c = try catalog(
            #"""
            {agents: {defaults: {systemPrompt: "be brief", timeoutSeconds: 30},
                      list: [{id: "a"}, {id: "b", systemPrompt: "be long", maxToolIterations: 3}]}}
            """#)
        #expect(c.agent("a")?.systemPrompt == "be brief")
        #expect(c.agent("a")?.timeoutSeconds == 30)
        #expect(c.agent("a")?.maxToolIterations == AgentCatalog.defaultMaxToolIterations)
        #expect(c.agent("b")?.systemPrompt == "be long")
        #expect(c.agent("b")?.maxToolIterations == 3)
        #expect(try catalog("{}").defaultAgent.timeoutSeconds == AgentCatalog.defaultTimeoutSeconds)
    }

    @Test("V4: agents keep config order")
    func configOrder() throws {
        let c = try catalog(#"{agents: {list: [{id: "z"}, {id: "a"}, {id: "m"}]}}"#)
        #expect(c.agents.map(\.id) == ["z", "a", "m"])
    }
}
