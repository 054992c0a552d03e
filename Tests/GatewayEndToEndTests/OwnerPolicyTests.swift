import Foundation
import OpenAIWire
import Testing

/// D-1, U1–U3, T2, T3, V5: which tools a run is offered, for normal and publicMode agents and
/// every value of `x-openclaw-sender-is-owner`; the Runtime line and the skills snapshot.
@Suite("Owner policy, publicMode and the system prompt over HTTP")
struct OwnerPolicyTests {
    static let agents = #"[{ id: "main" }, { id: "kiosk", publicMode: true }]"#
    static let allTools = ["read", "write", "edit", "ls", "exec", "current_time", "session_status"]
    static let nonOwnerTools = ["read", "ls", "current_time", "session_status"]

    @Test(
        "D-1/U1: tools offered per agent kind and owner header (missing, true, false, other)",
        arguments: [
            ("main", nil, true), ("main", "true", true), ("main", " TRUE ", true), ("main", "false", false),
            ("main", "False", false), ("main", "yes", true), ("main", "", true),
            ("kiosk", nil, false), ("kiosk", "true", true), ("kiosk", "false", false), ("kiosk", "1", false),
        ] as [(String, String?, Bool)])
    func toolsOffered(agent: String, header: String?, owner: Bool) async throws {
        try await TestGateway.withUpstream(agentsList: Self.agents) { gateway, upstream in
            var headers = [("x-openclaw-agent-id", agent)]
            if let header { headers.append(("x-openclaw-sender-is-owner", header)) }
            let r = try await gateway.chat(chatBody("hi"), extraHeaders: headers)
            #expect(r.status == 200)
            let offered = try #require(await upstream.recorder.requests.last).toolNames
            #expect(offered == (owner ? Self.allTools : Self.nonOwnerTools))
        }
    }

    @Test("U1/D-10: a non-owner run that calls exec anyway gets `Tool restricted to owner senders.` and nothing runs")
    func restrictedToolRefused() async throws {
        try await TestGateway.withUpstream(agentsList: Self.agents) { gateway, upstream in
            let ws = gateway.statePaths.path("workspace")
            try FileManager.default.createDirectory(atPath: ws, withIntermediateDirectories: true)
            await upstream.recorder.enqueue(
                .toolCalls(
                    "",
                    [
                        (id: "x1", name: "exec", arguments: #"{"command":"touch pwned"}"#),
                        (id: "x2", name: "write", arguments: #"{"path":"pwned2","content":"x"}"#),
                        (id: "x3", name: "gateway", arguments: "{}"),
                        (id: "x4", name: "no_such_tool", arguments: "{}"),
                    ]), .text("ok"))
            let r = try await gateway.chat(
                chatBody("hi"), extraHeaders: [("x-openclaw-sender-is-owner", "false")])
            #expect(r.status == 200)
            let results = try #require(await upstream.recorder.requests.last).toolMessages.compactMap {
                $0["content"]?.stringValue
            }
            #expect(
                results == [
                    "Tool restricted to owner senders.", "Tool restricted to owner senders.",
                    "Tool restricted to owner senders.", "Tool 'no_such_tool' is not available.",
                ])
            #expect(!FileManager.default.fileExists(atPath: ws + "/pwned"))
            #expect(!FileManager.default.fileExists(atPath: ws + "/pwned2"))
        }
    }

    @Test("V4: tools.allow and tools.deny narrow the agent's tools")
    func allowDeny() async throws {
        let agents = #"[{ id: "main", tools: { allow: ["read", "exec", "ls"], deny: ["exec"] } }]"#
        try await TestGateway.withUpstream(agentsList: agents) { gateway, upstream in
            _ = try await gateway.chat(chatBody("hi"))
            #expect(try #require(await upstream.recorder.requests.last).toolNames == ["read", "ls"])
        }
    }

    @Test("T2/D-1: the Runtime line for a normal agent and for a publicMode agent")
    func runtimeLines() async throws {
        try await TestGateway.withUpstream(agentsList: Self.agents) { gateway, upstream in
            _ = try await gateway.chat(chatBody("hi"), extraHeaders: [("x-openclaw-agent-id", "main")])
            let normal = try #require(await upstream.recorder.requests.last).systemPrompt
            let host = ProcessInfo.processInfo.hostName
            #expect(normal.contains("\nRuntime: agent=main | host=\(host) | os=linux ("))
            #expect(normal.contains(" | model=fake/echo | channel=webchat | "))
            #expect(normal.contains(gateway.statePaths.path("workspace")))

            _ = try await gateway.chat(
                chatBody("hi"),
                extraHeaders: [("x-openclaw-agent-id", "kiosk"), ("x-openclaw-sender-is-owner", "true")])
            let kiosk = try #require(await upstream.recorder.requests.last).systemPrompt
            #expect(kiosk.hasSuffix("## Runtime\nRuntime: public-facing agent"))
            #expect(!kiosk.contains(host))
            #expect(!kiosk.contains(gateway.statePaths.root))
        }
    }

    @Test("V5: the skills snapshot lists SKILL.md names and descriptions, except for publicMode agents")
    func skillsSnapshot() async throws {
        let agents = #"[{ id: "main" }, { id: "kiosk", publicMode: true, workspace: "WS" }]"#
        try await FakeUpstream.with { upstream in
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("oc-ws-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: root) }
            for (folder, front) in [
                ("weather", "---\nname: weather\ndescription: \"Look up the forecast\"\n---\n# Weather\n"),
                ("notes", "---\nname: notes\ndescription: Keep notes in notes/\n---\n"),
            ] {
                try FileManager.default.createDirectory(
                    atPath: "\(root)/skills/\(folder)", withIntermediateDirectories: true)
                try front.write(toFile: "\(root)/skills/\(folder)/SKILL.md", atomically: true, encoding: .utf8)
            }
            let config = TestGateway.config(
                upstream: upstream,
                agentsList: agents.replacingOccurrences(of: "WS", with: root).replacingOccurrences(
                    of: #"{ id: "main" }"#, with: #"{ id: "main", workspace: "\#(root)" }"#))
            try await TestGateway.with(config: config) { gateway in
                _ = try await gateway.chat(chatBody("hi"))
                let main = try #require(await upstream.recorder.requests.last).systemPrompt
                #expect(main.contains("## Skills\n"))
                #expect(main.contains("- notes: Keep notes in notes/ (skills/notes/SKILL.md)"))
                #expect(main.contains("- weather: Look up the forecast (skills/weather/SKILL.md)"))
                _ = try await gateway.chat(chatBody("hi"), extraHeaders: [("x-openclaw-agent-id", "kiosk")])
                let kiosk = try #require(await upstream.recorder.requests.last).systemPrompt
                #expect(!kiosk.contains("## Skills"))
                #expect(!kiosk.contains("weather"))
            }
        }
    }
}
