import Foundation
import GatewayConfig
import Testing

@testable import AgentRuntime

/// T1, T2, D-1, D-10: the system prompt and its Runtime section.
@Suite struct SystemPromptTests {
    private let host = HostInfo(hostname: "secret-host", os: "linux", arch: "x86_64")

    private func agent(_ text: String, id: String? = nil) throws -> ResolvedAgent {
        let config = try ConfigLoader.parse(Data(text.utf8)).config
        let catalog = AgentCatalog(config: config, stateDir: StatePaths(root: "/srv/state"))
        return try #require(id.map { catalog.agent($0) } ?? catalog.defaultAgent)
    }

    private func context(
        _ agent: ResolvedAgent, model: String? = nil, channel: String = "webchat", extra: String? = nil
    ) -> SystemPromptContext {
        SystemPromptContext(
            agent: agent, model: model ?? agent.model.primary, channel: channel, extraSystemPrompt: extra, host: host)
    }

    @Test("T2/D-10: a normal agent's Runtime line lists agent, host, os (arch), model, channel in order")
    func runtimeLine() throws {
        let a = try agent(#"{agents: {list: [{id: "ops", model: "openai/gpt-4.1-mini"}]}}"#)
        let section = SystemPrompt.runtimeSection(context(a))
        let lines = section.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(
            lines.first
                == "Runtime: agent=ops | host=secret-host | os=linux (x86_64) | model=openai/gpt-4.1-mini | channel=webchat | capabilities=none | thinking=off"
        )
        #expect(lines.count == 2)
        #expect(lines.last?.hasPrefix("Reasoning: ") == true)
    }

    @Test("T2/H5: the channel part reports the run's channel")
    func channelPart() throws {
        let a = try agent("{}")
        #expect(SystemPrompt.runtimeSection(context(a, channel: "custom-channel")).contains(" | channel=custom-channel | "))
    }

    @Test("T2: a fallback model is reported as model= with the configured primary as default_model=")
    func fallbackModelShowsDefault() throws {
        let a = try agent(#"{agents: {defaults: {model: {primary: "openai/a", fallbacks: ["ollama/b"]}}}}"#)
        let section = SystemPrompt.runtimeSection(context(a, model: "ollama/b"))
        #expect(section.contains("| model=ollama/b | default_model=openai/a | channel=webchat |"))
        #expect(!SystemPrompt.runtimeSection(context(a)).contains("default_model="))
    }

    @Test("T2: the prompt ends with the ## Runtime section")
    func promptEndsWithRuntime() throws {
        let a = try agent("{}")
        let c = context(a)
        #expect(SystemPrompt.build(c).hasSuffix("## Runtime\n" + SystemPrompt.runtimeSection(c)))
    }

    @Test("D-1: a publicMode agent's Runtime section is exactly `Runtime: public-facing agent`")
    func publicRuntime() throws {
        let a = try agent(#"{agents: {defaults: {publicMode: true}}}"#)
        #expect(SystemPrompt.runtimeSection(context(a)) == "Runtime: public-facing agent")
    }

    @Test("D-1/D-10: a publicMode prompt mentions neither the hostname, OS, arch nor the workspace")
    func publicPromptRedacted() throws {
        let a = try agent(
            #"{agents: {list: [{id: "kiosk", publicMode: true, systemPrompt: "Answer questions about opening hours."}]}}"#)
        #expect(a.workspace == "/srv/state/workspace")
        let prompt = SystemPrompt.build(context(a, extra: "Be polite."))
        #expect(!prompt.contains("secret-host"))
        #expect(!prompt.contains("x86_64"))
        #expect(!prompt.contains("os="))
        #expect(!prompt.contains("/srv/state"))
        #expect(!prompt.contains("workspace"))
        #expect(prompt.hasSuffix("## Runtime\nRuntime: public-facing agent"))
        #expect(prompt.contains("Answer questions about opening hours."))
        #expect(prompt.contains("## Group Chat Context\nBe polite."))
    }

    @Test("D-1: a per-agent publicMode false keeps the full Runtime line despite a default true")
    func perAgentPublicModeFalse() throws {
        let a = try agent(
            #"{agents: {defaults: {publicMode: true}, list: [{id: "owner", publicMode: false}]}}"#, id: "owner")
        #expect(SystemPrompt.runtimeSection(context(a)).hasPrefix("Runtime: agent=owner | host=secret-host"))
    }

    @Test("T1: the client's extra system prompt appears under ## Group Chat Context, before ## Runtime")
    func extraSystemPrompt() throws {
        let a = try agent("{}")
        let prompt = SystemPrompt.build(context(a, extra: "  You are in a test.\n\nReply tersely.  "))
        let extraRange = try #require(prompt.range(of: "## Group Chat Context\nYou are in a test.\n\nReply tersely."))
        let runtimeRange = try #require(prompt.range(of: "## Runtime\n"))
        #expect(extraRange.upperBound <= runtimeRange.lowerBound)
    }

    @Test("T1: no Group Chat Context section without extra text", arguments: [String?.none, "", "  \n "])
    func noExtraSection(extra: String?) throws {
        let a = try agent("{}")
        #expect(!SystemPrompt.build(context(a, extra: extra)).contains("## Group Chat Context"))
    }

    @Test("V4: the agent's configured systemPrompt appears under ## Instructions")
    func instructions() throws {
        let a = try agent(#"{agents: {list: [{id: "main", name: "Main", systemPrompt: "Use metric units."}]}}"#)
        let prompt = SystemPrompt.build(context(a))
        #expect(prompt.contains("## Instructions\nUse metric units."))
        #expect(prompt.contains("`main` (Main)"))
    }
}
