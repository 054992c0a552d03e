import Foundation
import GatewayConfig
import ModelProviders

/// The agent's own tools and the policy that decides which of them a run gets (U1, V5, D-1).
public struct Toolbox: Sendable {
    public let tools: [any AgentTool]

    /// Names that are owner-only even without a tool of that name here (U1's fallback list):
    /// gateway administration and channel log-in tools.
    public static let ownerOnlyNames: Set<String> = [
        "exec", "write", "edit", "gateway", "cron", "whatsapp_login", "nodes", "computer",
    ]

    public static let builtin = Toolbox(tools: [
        ReadTool(), WriteTool(), EditTool(), ListTool(), ExecTool(), CurrentTimeTool(), SessionStatusTool(),
    ])

    /// Each tool with its definition, built once (the schemas are written to JSON once too).
    private let entries: [OfferedTool]

    /// A tool a run may use, with its definition as offered to the model.
    public struct OfferedTool: Sendable {
        public let tool: any AgentTool
        public let definition: ToolDefinition
    }

    public init(tools: [any AgentTool]) {
        self.tools = tools
        self.entries = tools.map { OfferedTool(tool: $0, definition: $0.definition) }
    }

    public func isOwnerOnly(_ name: String) -> Bool {
        Self.ownerOnlyNames.contains(name) || tools.contains { $0.name == name && $0.ownerOnly }
    }

    /// The tools a run may use: the agent's `tools.allow` (when set) minus `tools.deny`, and
    /// without owner-only tools when the sender is not the owner.
    public func offered(policy: ToolPolicyConfig, senderIsOwner: Bool) -> [OfferedTool] {
        entries.filter { entry in
            let tool = entry.tool
            if let allow = policy.allow, !allow.contains(tool.name) { return false }
            if policy.deny.contains(tool.name) { return false }
            if !senderIsOwner && isOwnerOnly(tool.name) { return false }
            return true
        }
    }

    /// Runs one call against the tools the run was offered. A call to anything else is
    /// refused without executing (U1: `Tool restricted to owner senders.` for owner-only tools).
    func execute(
        _ call: ToolCall, offered: [any AgentTool], senderIsOwner: Bool, context: ToolContext
    ) async throws -> ToolOutput {
        guard let tool = offered.first(where: { $0.name == call.name }) else {
            if !senderIsOwner && isOwnerOnly(call.name) {
                return ToolOutput("Tool restricted to owner senders.", isError: true)
            }
            return ToolOutput("Tool '\(call.name)' is not available.", isError: true)
        }
        // Defence in depth: the offered list never holds an owner-only tool for a non-owner.
        if tool.ownerOnly && !senderIsOwner {
            return ToolOutput("Tool restricted to owner senders.", isError: true)
        }
        do {
            let arguments = try ToolArguments(json: call.arguments)
            return ToolOutput(try await tool.run(arguments, context: context))
        } catch let failure as ToolFailure {
            return ToolOutput("Error: \(failure.message)", isError: true)
        }
    }
}
