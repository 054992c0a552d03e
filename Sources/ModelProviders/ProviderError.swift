/// A failed model call, classified for failover (V1) and for the client-facing mapping (L4).
public struct ProviderError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case auth, permission, billing, rateLimit, format, modelNotFound
        case serverError, timeout, overloaded, connection
        /// The provider is not configured or cannot start (e.g. local model missing).
        case unavailable
        case unknown
    }

    public var kind: Kind
    public var provider: String
    /// Upstream HTTP status, when there was one.
    public var status: Int?
    /// A message safe to show a client.
    public var message: String
    public var code: String?

    public init(kind: Kind, provider: String, status: Int? = nil, message: String, code: String? = nil) {
        self.kind = kind
        self.provider = provider
        self.status = status
        self.message = message
        self.code = code
    }

    /// Failures worth trying the next fallback model for (V1).
    public var isRetryable: Bool {
        switch kind {
        case .rateLimit, .serverError, .timeout, .overloaded, .connection, .unavailable: true
        default: false
        }
    }

    public var description: String {
        "provider \(provider) \(kind.rawValue)\(status.map { " (HTTP \($0))" } ?? ""): \(message)"
    }

    /// Classifies an upstream HTTP error status.
    public static func fromStatus(
        _ status: Int, provider: String, message: String?, type: String? = nil, code: String? = nil
    ) -> ProviderError {
        let text = message ?? "HTTP \(status)"
        let kind: Kind
        switch status {
        case 401: kind = .auth
        case 403: kind = .permission
        case 402: kind = .billing
        case 429: kind = (code == "insufficient_quota" || type == "insufficient_quota") ? .billing : .rateLimit
        case 404: kind = .modelNotFound
        case 408, 504: kind = .timeout
        case 529: kind = .overloaded
        case 503 where text.lowercased().contains("overload"): kind = .overloaded
        case 500...599: kind = .serverError
        case 400...499: kind = .format
        default: kind = .unknown
        }
        return ProviderError(kind: kind, provider: provider, status: status, message: text, code: code)
    }
}
