import GatewayConfig
import Hummingbird

/// Shared-secret HTTP auth (C1–C5) with the failed-auth limiter (D1–D5).
struct Authenticator: Sendable {
    let auth: ResolvedAuth
    let limiter: AuthRateLimiter?
    let trustedProxies: Set<String>

    init(settings: GatewaySettings) {
        self.auth = settings.auth
        self.limiter = settings.rateLimit.map { AuthRateLimiter(config: $0) }
        self.trustedProxies = Set(settings.trustedProxies.map(ClientAddress.canonical))
    }

    /// C3: `Authorization: Bearer <credential>` (first value, trimmed, case-insensitive scheme).
    static func bearerCredential(_ request: Request) -> String? {
        guard let raw = request.headers.first(.authorization)?.trimmingCharacters(in: .whitespaces) else { return nil }
        guard raw.count >= 7, raw.prefix(7).lowercased() == "bearer " else { return nil }
        let credential = raw.dropFirst(7).trimmingCharacters(in: .whitespaces)
        return credential.isEmpty ? nil : credential
    }

    /// D5: the socket peer, or the forwarded client when the peer is a trusted proxy.
    func clientIP(_ request: Request, context: GatewayContext) -> String {
        clientIP(peer: context.peerIP, forwardedFor: request.headers[values: .forwardedFor])
    }

    /// D5 for any face: `peer` is the canonical socket address, `forwardedFor` the header values.
    func clientIP(peer: String, forwardedFor: [String]) -> String {
        guard trustedProxies.contains(peer) else { return peer }
        let hops = forwardedFor
            .flatMap { $0.split(separator: ",") }
            .map { ClientAddress.canonical($0.trimmingCharacters(in: .whitespaces)) }
        return hops.last { !trustedProxies.contains($0) } ?? peer
    }

    /// Throws 401 or 429 unless the request carries the configured secret.
    func authorize(_ request: Request, context: GatewayContext) throws(GatewayError) {
        try authorize(credential: Self.bearerCredential(request), clientIP: clientIP(request, context: context))
    }

    /// The shared-secret check behind every face (HTTP bearer, WebSocket `connect`): 401 or 429
    /// unless `credential` is the configured secret.
    func authorize(credential: String?, clientIP ip: String) throws(GatewayError) {
        let expected: String?
        switch auth.mode {
        case .none, .trustedProxy: return
        case .token: expected = auth.token
        case .password: expected = auth.password
        }
        let limiter = self.limiter.flatMap { $0.isExempt(ip: ip) ? nil : $0 }
        let key = "shared-secret:\(ip)"
        if let limiter, case .locked(let retryAfterMs) = limiter.check(key) {
            throw GatewayError.rateLimited(retryAfterMs: retryAfterMs)
        }
        guard let credential else {
            throw GatewayError.unauthorized  // token_missing: not counted (C5)
        }
        guard SecretCompare.matches(credential, expected) else {
            limiter?.recordFailure(key)
            throw GatewayError.unauthorized
        }
        limiter?.reset(key)
    }
}
