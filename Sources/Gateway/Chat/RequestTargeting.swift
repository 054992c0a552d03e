import Foundation
import GatewayConfig
import OpenAIWire
import SessionStore

/// Agent, session and caller facts taken from a compat request's headers and body (G, H, D-1).
enum RequestTargeting {
    static let invalidModel = "Invalid `model`. Use `openclaw` or `openclaw/<agentId>`."
    static let reservedSessionKey = "`x-openclaw-session-key` cannot use reserved internal session namespaces."

    enum ModelTarget: Equatable {
        case defaultAgent
        case agent(String)
        case notATarget
    }

    /// G2: `openclaw`, `openclaw/default`, `openclaw:<id>`, `openclaw/<id>`, `agent:<id>`
    /// (case-insensitive prefixes; ids lowercased).
    static func parseModel(_ model: String) -> ModelTarget {
        let lowered = model.trimmingWhitespace.lowercased()
        if lowered == "openclaw" || lowered == "openclaw/default" { return .defaultAgent }
        for prefix in ["openclaw:", "openclaw/", "agent:"] where lowered.hasPrefix(prefix) {
            let id = String(lowered.dropFirst(prefix.count))
            return AgentID.isValid(id) ? .agent(id) : .notATarget
        }
        return .notATarget
    }

    /// G3: lowercase; runs of characters outside `[a-z0-9_-]` collapse to `-`.
    static func normalizeHeaderAgentId(_ raw: String) -> String {
        var out = ""
        var lastWasDash = false
        for scalar in raw.trimmingWhitespace.lowercased().unicodeScalars {
            let ok = ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "-"
            if ok {
                out.unicodeScalars.append(scalar)
                lastWasDash = scalar == "-"
            } else if !lastWasDash {
                out += "-"
                lastWasDash = true
            }
        }
        return out
    }

    /// G1, G3, G5, D-2: header beats model beats the default agent.
    static func resolveAgent(
        headerAgentId: String?, model: String?, catalog: AgentCatalog
    ) throws(RequestValidationError) -> String {
        let header = headerAgentId?.trimmingWhitespace.nilIfEmpty
        let model = model?.trimmingWhitespace.nilIfEmpty
        let fromModel = model.map(parseModel)
        if fromModel == .notATarget, header == nil {
            throw RequestValidationError(invalidModel)
        }
        let id: String
        if let header {
            id = normalizeHeaderAgentId(header)
        } else if case .agent(let modelId)? = fromModel {
            id = modelId
        } else {
            id = catalog.defaultAgentId
        }
        guard AgentID.isValid(id), catalog.agent(id) != nil else {
            throw RequestValidationError("Unknown agent '\(id)'.")
        }
        return id
    }

    /// H1–H3: header verbatim; else `agent:<id>:<prefix>-user:<user>` (lowercased); else a
    /// fresh `agent:<id>:<prefix>:<uuid>`.
    static func resolveSessionKey(
        header: String?, user: String?, agentId: String, prefix: String
    ) throws(RequestValidationError) -> String {
        if let key = header?.trimmingWhitespace.nilIfEmpty {
            if isReserved(key) { throw RequestValidationError(reservedSessionKey) }
            return key
        }
        if let user = user?.trimmingWhitespace.nilIfEmpty {
            return "agent:\(agentId):\(prefix)-user:\(user)".lowercased()
        }
        return "agent:\(agentId):\(prefix):\(RandomID.uuidString())"
    }

    /// Whether `resolveSessionKey` makes up a fresh key for these inputs (no header, no `user`).
    static func isStateless(header: String?, user: String?) -> Bool {
        header?.trimmingWhitespace.nilIfEmpty == nil
            && user?.trimmingWhitespace.nilIfEmpty == nil
    }

    /// H3: `subagent:`, `cron:`, `acp:` and their `agent:<id>:` scoped forms.
    static func isReserved(_ key: String) -> Bool {
        let lowered = key.lowercased()
        let namespaces = ["subagent:", "cron:", "acp:"]
        if namespaces.contains(where: lowered.hasPrefix) { return true }
        let parts = lowered.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        if parts.count == 3, parts[0] == "agent" {
            return namespaces.contains { String(parts[2]).hasPrefix($0) }
        }
        return false
    }

    /// H5: `x-openclaw-message-channel`, trimmed and lowercased; `webchat` by default.
    static func channel(_ header: String?) -> String {
        header?.trimmingWhitespace.lowercased().nilIfEmpty ?? "webchat"
    }

    /// D-1, U3: `true`/`false` (trimmed, case-insensitive); anything else is absent.
    static func senderIsOwner(_ header: String?) -> Bool? {
        switch header?.trimmingWhitespace.lowercased() {
        case "true": true
        case "false": false
        default: nil
        }
    }

    /// D-1 with D-10 and E2/E4: the owner header decides; only in auth mode `none`, with the
    /// header absent, does a present `x-openclaw-scopes` decide (owner iff it holds
    /// `operator.admin`). nil leaves the agent's default (owner unless publicMode).
    static func senderIsOwner(header: String?, scopes: String?, authIsNone: Bool) -> Bool? {
        if let explicit = senderIsOwner(header) { return explicit }
        guard authIsNone, let scopes else { return nil }
        let list = scopes.split(separator: ",").map { $0.trimmingWhitespace }
        return list.contains("operator.admin")
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}

extension StringProtocol {
    /// `trimmingCharacters(in: .whitespaces)` (Unicode space separators and tab), with the
    /// usual case — nothing to trim — answered without the trip through `NSString`: headers and
    /// `model` are trimmed on every request.
    var trimmingWhitespace: String {
        func isSpace(_ scalar: Unicode.Scalar) -> Bool {
            scalar == "\t" || scalar.properties.generalCategory == .spaceSeparator
        }
        guard let first = unicodeScalars.first, let last = unicodeScalars.last else { return "" }
        if !isSpace(first) && !isSpace(last) { return String(self) }
        return trimmingCharacters(in: .whitespaces)
    }
}
