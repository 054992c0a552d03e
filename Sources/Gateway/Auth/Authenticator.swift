import GatewayConfig
import Hummingbird
import OpenAIWire

/// Shared-secret HTTP auth (C1–C5) with the failed-auth limiter (D1–D5).
struct Authenticator: Sendable {
    let auth: ResolvedAuth
    let limiter: AuthRateLimiter?
    let trustedProxies: Set<String>
    /// The configured secret of mode `token` or `password`, digested once (C4).
    private let expected: SecretCompare.Expected?

    init(settings: GatewaySettings) {
        self.auth = settings.auth
        self.limiter = settings.rateLimit.map { AuthRateLimiter(config: $0) }
        self.trustedProxies = Set(settings.trustedProxies.map(ClientAddress.canonical))
        switch settings.auth.mode {
        case .none, .trustedProxy: self.expected = nil
        case .token: self.expected = SecretCompare.Expected(settings.auth.token)
        case .password: self.expected = SecretCompare.Expected(settings.auth.password)
        }
    }

    /// C3: `Authorization: Bearer <credential>` (first value, trimmed, case-insensitive scheme).
    static func bearerCredential(_ request: Request) -> String? {
        request.headers.first(.authorization).flatMap(bearerCredential)
    }

    /// C3 on one header value. Trims Unicode white space (as the reference's `trim()` does)
    /// without Foundation, which cost ~20 µs per request here.
    static func bearerCredential(_ value: String) -> String? {
        let raw = trimmed(Substring(value))
        let scheme = raw.utf8.prefix(7)
        guard scheme.count == 7, scheme.last == UInt8(ascii: " "),
            zip(scheme.prefix(6), "bearer".utf8).allSatisfy({ $0 | 0x20 == $1 })
        else { return nil }
        let credential = trimmed(raw.dropFirst(7))
        return credential.isEmpty ? nil : String(credential)
    }

    /// Unicode white space (the White_Space property), as the reference's `trim()` trims it.
    private static func trimmed(_ text: Substring) -> Substring {
        text.trimmingScalars { $0.properties.isWhitespace }
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
        guard let expected else { return }  // modes `none`, `trusted-proxy`
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
