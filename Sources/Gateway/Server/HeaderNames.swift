import HTTPTypes

extension HTTPField.Name {
    static let openclawAgentId = Self("x-openclaw-agent-id")!
    static let openclawAgent = Self("x-openclaw-agent")!
    static let openclawSessionKey = Self("x-openclaw-session-key")!
    static let openclawMessageChannel = Self("x-openclaw-message-channel")!
    static let openclawSenderIsOwner = Self("x-openclaw-sender-is-owner")!
    static let openclawScopes = Self("x-openclaw-scopes")!
    static let referrerPolicy = Self("Referrer-Policy")!
    static let permissionsPolicy = Self("Permissions-Policy")!
    static let forwardedFor = Self("X-Forwarded-For")!
}

extension HTTPFields {
    /// The first value of a possibly repeated header (C3: "first value if repeated").
    func first(_ name: HTTPField.Name) -> String? {
        self[fields: name].first?.value
    }
}
