import AgentRuntime
import ArgumentParser
import Foundation
import Gateway
import GatewayClient
import GatewayConfig
import GatewayProtocol
import Logging
import OpenAIWire
import ServiceLifecycle

struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run one agent turn in-process, or through a running gateway with --url, and stream the reply (W2).")

    @OptionGroup var state: StateOptions

    @Option(name: .shortAndLong, help: "The message to send.")
    var message: String

    @Option(name: .long, help: "Agent id. Default: the configured default agent.")
    var agent: String?

    @Option(name: .long, help: "Session key. Default: agent:<id>:main.")
    var sessionKey: String?

    @Flag(name: .long, help: "Print the result as one JSON object instead of streaming text.")
    var json = false

    @Option(name: .long, help: "A running gateway (ws://host:port): run the turn there over the WebSocket protocol.")
    var url: String?

    @Option(name: .long, help: "Gateway token or password for --url. Default: $OPENCLAW_GATEWAY_TOKEN, $OPENCLAW_GATEWAY_PASSWORD.")
    var token: String?

    func run() async throws {
        if let url {
            return try await RemoteAgentTurn(
                url: url, token: token ?? state.environment["OPENCLAW_GATEWAY_TOKEN"]
                    ?? state.environment["OPENCLAW_GATEWAY_PASSWORD"],
                message: message, agent: agent?.lowercased(), sessionKey: sessionKey, json: json
            ).run(logger: state.makeLogger(label: "openclaw.agent"))
        }
        var logger = state.makeLogger(label: "openclaw.agent")
        if state.logLevel == nil, ProcessInfo.processInfo.environment["LOG_LEVEL"] == nil { logger.logLevel = .warning }
        let assembly: RuntimeAssembly
        do {
            let loaded = try state.loadConfig(logger: logger)
            assembly = try RuntimeAssembly(
                config: loaded.config, statePaths: state.statePaths, environment: state.environment, logger: logger)
        } catch {
            fail("\(error)")
        }
        let runtime = assembly.runtime
        let agentId = agent?.lowercased() ?? runtime.catalog.defaultAgentId
        guard runtime.catalog.agent(agentId) != nil else { fail("Unknown agent '\(agentId)'.") }
        let request = AgentRequest(
            agentId: agentId, sessionKey: sessionKey ?? "agent:\(agentId):main", message: message, channel: "cli")
        let streamText = !json

        let group = ServiceGroup(services: assembly.services, logger: logger)
        let outcome: Result<AgentResult, any Error> = try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let outcome: Result<AgentResult, any Error>
            do {
                outcome = .success(
                    try await runtime.run(request) { event in
                        guard streamText else { return }
                        switch event {
                        case .assistantDelta(let delta, _, _):
                            FileHandle.standardOutput.write(Data(delta.utf8))
                        case .toolStarted(_, let name, let arguments):
                            // Tool activity goes to stderr, so stdout stays the reply.
                            FileHandle.standardError.write(Data("[tool \(name) \(arguments.prefix(200))]\n".utf8))
                        case .toolFinished(_, let name, let isError, _) where isError:
                            FileHandle.standardError.write(Data("[tool \(name) failed]\n".utf8))
                        default:
                            break
                        }
                    })
            } catch {
                outcome = .failure(error)
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return outcome
        }
        switch outcome {
        case .success(let result):
            if json {
                let object: JSONValue = .object([
                    "runId": .string(result.runId), "agentId": .string(agentId),
                    "sessionKey": .string(request.sessionKey), "model": .string(result.model),
                    "text": .string(result.text),
                    "usage": .object([
                        "prompt_tokens": .number(Double(result.usage.chatUsage.promptTokens)),
                        "completion_tokens": .number(Double(result.usage.chatUsage.completionTokens)),
                        "total_tokens": .number(Double(result.usage.chatUsage.totalTokens)),
                    ]),
                ])
                printFlushed(object.jsonString())
            } else {
                printFlushed("")
            }
        case .failure(let error):
            fail("agent run failed: \(error)")
        }
    }
}
