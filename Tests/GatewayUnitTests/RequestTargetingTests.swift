import Foundation
import GatewayConfig
import OpenAIWire
import Testing

@testable import Gateway

/// G1–G5, D-2, H1–H5, D-1: agent, session and caller facts from a compat request.
@Suite struct RequestTargetingTests {
    private func catalog(_ text: String) throws -> AgentCatalog {
        AgentCatalog(config: try ConfigLoader.parse(Data(text.utf8)).config, stateDir: StatePaths(root: "/state"))
    }

    /// alpha, beta (default), beta-agent-.
    private func threeAgents() throws -> AgentCatalog {
        try catalog(#"{agents: {list: [{id: "alpha"}, {id: "beta", default: true}, {id: "beta-agent-"}]}}"#)
    }

    private func resolveError(header: String?, model: String?, catalog: AgentCatalog) -> String? {
        do {
            _ = try RequestTargeting.resolveAgent(headerAgentId: header, model: model, catalog: catalog)
            return nil
        } catch {
            return error.message
        }
    }

    // MARK: G2 model forms

    @Test(
        "G2: model forms select an agent, case-insensitively",
        arguments: [
            ("openclaw", RequestTargeting.ModelTarget.defaultAgent),
            ("OpenClaw", .defaultAgent),
            ("openclaw/default", .defaultAgent),
            ("OPENCLAW/Default", .defaultAgent),
            (" openclaw ", .defaultAgent),
            ("openclaw:beta", .agent("beta")),
            ("OpenClaw:Beta", .agent("beta")),
            ("openclaw/alpha", .agent("alpha")),
            ("OPENCLAW/ALPHA", .agent("alpha")),
            ("agent:alpha", .agent("alpha")),
            ("Agent:my_agent-2", .agent("my_agent-2")),
        ])
    func modelForms(model: String, target: RequestTargeting.ModelTarget) {
        #expect(RequestTargeting.parseModel(model) == target)
    }

    @Test(
        "G5: strings that are not agent targets",
        arguments: ["gpt-4", "openai/", "openai/gpt-4.1", "openclaw:", "openclaw/", "agent:", "openclaw:Bad Id",
                    "agent:-lead", "openclaw:\(String(repeating: "a", count: 65))", "openclawx"])
    func notTargets(model: String) {
        #expect(RequestTargeting.parseModel(model) == .notATarget)
    }

    // MARK: G1, G3, G5, D-2 agent resolution

    @Test("G3: header ids are lowercased and runs of invalid characters collapse to one '-'")
    func headerNormalization() {
        #expect(RequestTargeting.normalizeHeaderAgentId(" Beta Agent!! ") == "beta-agent-")
        #expect(RequestTargeting.normalizeHeaderAgentId("ALPHA") == "alpha")
        #expect(RequestTargeting.normalizeHeaderAgentId("a__b--c") == "a__b--c")
        #expect(RequestTargeting.normalizeHeaderAgentId("x.y/z") == "x-y-z")
        #expect(RequestTargeting.normalizeHeaderAgentId("café") == "caf-")
    }

    @Test("G3: a normalized header id selects the matching configured agent")
    func normalizedHeaderResolves() throws {
        let c = try threeAgents()
        #expect(try RequestTargeting.resolveAgent(headerAgentId: " Beta Agent!! ", model: nil, catalog: c) == "beta-agent-")
        #expect(try RequestTargeting.resolveAgent(headerAgentId: "ALPHA", model: nil, catalog: c) == "alpha")
    }

    @Test("G3: unknown or invalid ids are rejected with \"Unknown agent '<id>'.\"")
    func unknownAgents() throws {
        let c = try threeAgents()
        #expect(resolveError(header: "ghost", model: nil, catalog: c) == "Unknown agent 'ghost'.")
        #expect(resolveError(header: "!!", model: nil, catalog: c) == "Unknown agent '-'.")
        #expect(resolveError(header: nil, model: "openclaw:ghost", catalog: c) == "Unknown agent 'ghost'.")
        let normalized = try catalog(#"{agents: {list: [{id: "alpha"}]}}"#)
        #expect(resolveError(header: " Beta Agent!! ", model: nil, catalog: normalized) == "Unknown agent 'beta-agent-'.")
    }

    @Test("G3: with no agents.list the only known agent is main")
    func onlyMainKnown() throws {
        let c = try catalog("{}")
        #expect(try RequestTargeting.resolveAgent(headerAgentId: "main", model: nil, catalog: c) == "main")
        #expect(try RequestTargeting.resolveAgent(headerAgentId: nil, model: "openclaw", catalog: c) == "main")
        #expect(resolveError(header: nil, model: "openclaw/alpha", catalog: c) == "Unknown agent 'alpha'.")
    }

    @Test("G1: the header beats the model field, which beats the default agent")
    func precedence() throws {
        let c = try threeAgents()
        #expect(try RequestTargeting.resolveAgent(headerAgentId: "alpha", model: "openclaw:beta", catalog: c) == "alpha")
        #expect(try RequestTargeting.resolveAgent(headerAgentId: nil, model: "openclaw/alpha", catalog: c) == "alpha")
        #expect(try RequestTargeting.resolveAgent(headerAgentId: nil, model: "openclaw/default", catalog: c) == "beta")
        #expect(try RequestTargeting.resolveAgent(headerAgentId: nil, model: nil, catalog: c) == "beta")
        #expect(try RequestTargeting.resolveAgent(headerAgentId: "  ", model: "", catalog: c) == "beta")
    }

    @Test("G5: without the header a non-target model is a 400 naming the valid forms", arguments: ["gpt-4", "openai/"])
    func invalidModelWithoutHeader(model: String) throws {
        #expect(
            resolveError(header: nil, model: model, catalog: try threeAgents())
                == "Invalid `model`. Use `openclaw` or `openclaw/<agentId>`.")
    }

    @Test("D-2: with the header present a non-target model is ignored")
    func invalidModelIgnoredWithHeader() throws {
        #expect(
            try RequestTargeting.resolveAgent(headerAgentId: "alpha", model: "gpt-4", catalog: try threeAgents())
                == "alpha")
    }

    // MARK: H1–H3 session keys

    private func sessionKey(header: String?, user: String?, agent: String = "beta", prefix: String = "openai")
        throws(RequestValidationError) -> String
    {
        try RequestTargeting.resolveSessionKey(header: header, user: user, agentId: agent, prefix: prefix)
    }

    @Test("H1/D-10: the session-key header is used verbatim (trimmed, not lowercased)")
    func headerKeyVerbatim() throws {
        #expect(try sessionKey(header: " agent:beta:openai:Custom ", user: "alice") == "agent:beta:openai:Custom")
    }

    @Test("H1/H2: a user-derived key is agent:<id>:openai-user:<user>, lowercased")
    func userKeyLowercased() throws {
        #expect(try sessionKey(header: nil, user: "alice") == "agent:beta:openai-user:alice")
        #expect(try sessionKey(header: nil, user: " Alice ") == "agent:beta:openai-user:alice")
        #expect(try sessionKey(header: "  ", user: "ALICE") == "agent:beta:openai-user:alice")
        #expect(try sessionKey(header: nil, user: "Bob", agent: "main", prefix: "openresponses")
            == "agent:main:openresponses-user:bob")
    }

    @Test("H1: without header or user each request gets a fresh agent:<id>:openai:<uuid> key")
    func freshKeys() throws {
        let a = try sessionKey(header: nil, user: nil)
        let b = try sessionKey(header: nil, user: "   ")
        #expect(a != b)
        for key in [a, b] {
            #expect(key.hasPrefix("agent:beta:openai:"))
            let uuid = String(key.dropFirst("agent:beta:openai:".count))
            #expect(UUID(uuidString: uuid) != nil)
            #expect(uuid == uuid.lowercased())
        }
    }

    @Test(
        "H3: session-key headers in reserved namespaces are rejected",
        arguments: ["subagent:x", "cron:x", "ACP:y", "agent:main:subagent:z", "Agent:Main:CRON:daily", "agent:beta:acp:1"])
    func reservedKeys(key: String) {
        #expect(throws: RequestValidationError(RequestTargeting.reservedSessionKey)) {
            try sessionKey(header: key, user: nil)
        }
        #expect(
            RequestTargeting.reservedSessionKey
                == "`x-openclaw-session-key` cannot use reserved internal session namespaces.")
    }

    @Test(
        "H3: keys that only mention a reserved word are allowed",
        arguments: ["agent:main:custom", "my-cron:x", "agent:main:openai-user:subagent:x", "subagents", "crontab"])
    func nonReservedKeys(key: String) throws {
        #expect(try sessionKey(header: key, user: nil) == key)
    }

    // MARK: H5, D-1

    @Test(
        "H5: the message channel header is trimmed and lowercased; webchat by default",
        arguments: [(String?.none, "webchat"), ("", "webchat"), ("   ", "webchat"), (" Custom-Channel ", "custom-channel")])
    func channel(header: String?, expected: String) {
        #expect(RequestTargeting.channel(header) == expected)
    }

    @Test(
        "D-1/U3: x-openclaw-sender-is-owner is true/false trimmed and case-insensitive, anything else absent",
        arguments: [
            (String?.none, Bool?.none), (" TRUE ", true), ("true", true), ("False", false), (" false ", false),
            ("yes", nil), ("1", nil), ("", nil), ("truee", nil),
        ])
    func senderIsOwner(header: String?, expected: Bool?) {
        #expect(RequestTargeting.senderIsOwner(header) == expected)
    }
}

/// D-1, D-10, E4: who counts as the owner.
@Suite struct SenderIsOwnerTests {
    @Test(
        "the owner header wins; in auth mode none a present x-openclaw-scopes decides by operator.admin",
        arguments: [
            ("true", nil, false, true), ("false", "operator.admin", true, false),
            (nil, "operator.read, operator.write", true, false), (nil, " operator.admin ,operator.read", true, true),
            (nil, "", true, false), (nil, "operator.read", false, nil), (nil, nil, true, nil), ("maybe", nil, false, nil),
        ] as [(String?, String?, Bool, Bool?)])
    func owner(header: String?, scopes: String?, authIsNone: Bool, expected: Bool?) {
        #expect(RequestTargeting.senderIsOwner(header: header, scopes: scopes, authIsNone: authIsNone) == expected)
    }
}
