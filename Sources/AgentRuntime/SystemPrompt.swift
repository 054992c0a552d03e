import Foundation
import GatewayConfig
import OpenAIWire

/// Facts about the host that the Runtime line reports (T2).
public struct HostInfo: Sendable {
    public var hostname: String
    public var os: String
    public var arch: String

    public init(hostname: String, os: String, arch: String) {
        self.hostname = hostname
        self.os = os
        self.arch = arch
    }

    public static let current: HostInfo = {
        var info = utsname()
        uname(&info)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
        }
        return HostInfo(
            hostname: ProcessInfo.processInfo.hostName, os: field(info.sysname).lowercased(), arch: field(info.machine))
    }()
}

/// What the system prompt of one run is built from.
public struct SystemPromptContext: Sendable {
    public var agent: ResolvedAgent
    public var model: String
    public var channel: String
    public var extraSystemPrompt: String?
    public var host: HostInfo
    /// Names of the tools the run is offered (agent tools, then client tools).
    public var tools: [String]
    /// The skills snapshot (never shown for publicMode agents).
    public var skills: [Skill]

    public init(
        agent: ResolvedAgent, model: String, channel: String, extraSystemPrompt: String?, host: HostInfo,
        tools: [String] = [], skills: [Skill] = []
    ) {
        self.agent = agent
        self.model = model
        self.channel = channel
        self.extraSystemPrompt = extraSystemPrompt
        self.host = host
        self.tools = tools
        self.skills = skills
    }
}

/// Builds the agent's system prompt: identity, instructions, the client's extra system prompt
/// (T1), tools, workspace and skills snapshot, and the Runtime section (T2) — or, for
/// public-facing agents, a redacted form without host, workspace or skills (D-1, D-10).
public enum SystemPrompt {
    public static func build(_ c: SystemPromptContext) -> String {
        var sections: [String] = []
        if c.agent.publicMode {
            sections.append("You are a helpful assistant.")
        } else {
            let name = c.agent.name.map { " (\($0))" } ?? ""
            sections.append("You are OpenClaw agent `\(c.agent.id)`\(name), a personal assistant running on its owner's machine.")
        }
        if let instructions = c.agent.systemPrompt?.trimmingWhitespaceAndNewlines,
            !instructions.isEmpty
        {
            sections.append("## Instructions\n\(instructions)")
        }
        if !c.tools.isEmpty {
            sections.append(
                "## Tools\nYou can call these tools: " + c.tools.joined(separator: ", ")
                    + ". Call a tool when it helps; answer in plain text when you are done.")
        }
        if !c.agent.publicMode {
            sections.append(
                "## Workspace\nYour working directory is \(c.agent.workspace). File tool paths are relative to it.")
            if !c.skills.isEmpty {
                let lines = c.skills.map { "- \($0.name): \($0.description) (\($0.path))" }
                sections.append(
                    "## Skills\nRead a skill's SKILL.md with the read tool before using it.\n"
                        + lines.joined(separator: "\n"))
            }
        }
        if let extra = c.extraSystemPrompt?.trimmingWhitespaceAndNewlines, !extra.isEmpty {
            sections.append("## Group Chat Context\n\(extra)")
        }
        sections.append("## Runtime\n" + runtimeSection(c))
        return sections.joined(separator: "\n\n")
    }

    /// The Runtime line and the Reasoning line (T2), or `Runtime: public-facing agent` (D-1).
    public static func runtimeSection(_ c: SystemPromptContext) -> String {
        if c.agent.publicMode { return "Runtime: public-facing agent" }
        var parts = ["agent=\(c.agent.id)", "host=\(c.host.hostname)"]
        parts.append("os=\(c.host.os) (\(c.host.arch))")
        parts.append("model=\(c.model)")
        if c.model != c.agent.model.primary { parts.append("default_model=\(c.agent.model.primary)") }
        parts.append("channel=\(c.channel)")
        parts.append("capabilities=none")
        parts.append("thinking=off")
        return "Runtime: " + parts.joined(separator: " | ") + "\nReasoning: off (hidden reasoning is not shown)"
    }
}
