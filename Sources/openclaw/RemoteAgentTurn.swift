import Foundation
import GatewayClient
import GatewayProtocol
import Logging
import OpenAIWire

/// `openclaw agent --url ws://…` (W2): one `agent` request through a running gateway's
/// WebSocket control plane (R5, D-10), streaming the `agent` events' deltas to stdout.
struct RemoteAgentTurn {
    var url: String
    var token: String?
    var message: String
    var agent: String?
    var sessionKey: String?
    var json: Bool

    func run(logger: Logger) async throws {
        var logger = logger
        if ProcessInfo.processInfo.environment["LOG_LEVEL"] == nil { logger.logLevel = .warning }
        guard url.hasPrefix("ws://") || url.hasPrefix("wss://") else { fail("--url must start with ws:// or wss://") }
        let streamText = !json
        let outcome: Result<ResponseFrame, GatewayClientError>
        do {
            outcome = try await GatewayConnection.with(url: url, logger: logger) { connection in
                do {
                    try await connection.connect(token: token, clientId: "openclaw-cli", mode: "cli")
                } catch let error as ErrorShape {
                    return .failure(GatewayClientError("gateway refused the connection: \(error.message)"))
                }
                var params: [String: JSONValue] = [
                    "message": .string(message), "idempotencyKey": .string(UUID().uuidString.lowercased()),
                    "channel": .string("cli"),
                ]
                if let agent { params["agentId"] = .string(agent) }
                if let sessionKey { params["sessionKey"] = .string(sessionKey) }
                let id = connection.request("agent", .object(params))
                let accepted = try await connection.response(id, timeout: .seconds(30))
                guard accepted.ok, let runId = accepted.payload?["runId"]?.stringValue else {
                    return .failure(GatewayClientError("agent request refused: \(accepted.error?.message ?? "no runId")"))
                }
                // Deltas until the final response (same request id) arrives.
                while true {
                    let frame = try await connection.next(timeout: .seconds(3600)) { frame in
                        if let response = frame.response { return response.id == id }
                        guard let event = frame.event, event.event == "agent" else { return false }
                        return event.payload?["runId"]?.stringValue == runId
                    }
                    if let final = frame.response { return .success(final) }
                    if streamText, let payload = frame.event?.payload, payload["stream"]?.stringValue == "assistant",
                        let delta = payload["data"]?["delta"]?.stringValue
                    {
                        FileHandle.standardOutput.write(Data(delta.utf8))
                    }
                }
            }
        } catch {
            fail("gateway connection failed: \(error)")
        }
        switch outcome {
        case .success(let final) where final.ok:
            if json {
                printFlushed((final.payload ?? .null).jsonString())
            } else {
                printFlushed("")
            }
        case .success(let final):
            if streamText { printFlushed("") }
            fail("agent run failed: \(final.error?.message ?? "unknown error")")
        case .failure(let error):
            fail("\(error)")
        }
    }
}
