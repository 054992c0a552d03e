import Foundation
import OpenAIWire

/// `current_time {}`: the local date and time (ISO-8601 with offset), the time zone and UTC.
struct CurrentTimeTool: AgentTool {
    let name = "current_time"
    let description = "Get the current date and time (ISO-8601), with the time zone."
    let ownerOnly = false
    var parameters: JSONValue { Schema.object([:]) }

    func run(_ arguments: ToolArguments, context: ToolContext) async throws -> String {
        let now = Date()
        let zone = TimeZone.current
        let local = ISO8601DateFormatter()
        local.timeZone = zone
        local.formatOptions = [.withInternetDateTime]
        let utc = ISO8601DateFormatter()
        utc.formatOptions = [.withInternetDateTime]
        let weekday = DateFormatter()
        weekday.locale = Locale(identifier: "en_US_POSIX")
        weekday.timeZone = zone
        weekday.dateFormat = "EEEE"
        return """
            {"iso":"\(local.string(from: now))","utc":"\(utc.string(from: now))","timezone":"\(zone.identifier)",\
            "weekday":"\(weekday.string(from: now))","unix":\(Int(now.timeIntervalSince1970))}
            """
    }
}

/// `session_status {}`: the run's agent, session, model and token usage.
struct SessionStatusTool: AgentTool {
    let name = "session_status"
    let description = "Get the status of the current session: agent, session key and id, model, messages and token usage."
    let ownerOnly = false
    var parameters: JSONValue { Schema.object([:]) }

    func run(_ arguments: ToolArguments, context: ToolContext) async throws -> String {
        let summary = try await context.store.session(key: context.sessionKey)
        var status: [String: JSONValue] = [
            "agentId": .string(context.agentId),
            "sessionKey": .string(context.sessionKey),
            "runId": .string(context.runId),
            "model": .string(context.model),
            "runUsage": .object([
                "inputTokens": .number(Double(context.usage.inputTokens + context.usage.cacheReadTokens)),
                "outputTokens": .number(Double(context.usage.outputTokens)),
            ]),
        ]
        if let summary {
            status["sessionId"] = .string(summary.sessionId)
            status["storedMessages"] = .number(Double(summary.messageCount))
            status["sessionUsage"] = .object([
                "inputTokens": .number(Double(summary.usage.inputTokens)),
                "outputTokens": .number(Double(summary.usage.outputTokens)),
                "totalTokens": .number(Double(summary.usage.totalTokens)),
            ])
            status["createdAt"] = .string(ISO8601DateFormatter().string(from: summary.createdAt))
        } else {
            status["sessionId"] = .null
            status["storedMessages"] = .number(0)
        }
        return JSONValue.object(status).jsonString()
    }
}
