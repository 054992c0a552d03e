import Crypto
import Foundation

/// Timing-safe, length-independent secret comparison (C4): both sides are HMAC-SHA256'd with a
/// fixed key and the digests compared in constant time.
enum SecretCompare {
    private static let key = SymmetricKey(data: Data("openclaw-safe-equal".utf8))

    static func matches(_ presented: String?, _ expected: String?) -> Bool {
        let a = HMAC<SHA256>.authenticationCode(for: Data((presented ?? "").utf8), using: key)
        let b = HMAC<SHA256>.authenticationCode(for: Data((expected ?? "").utf8), using: key)
        // `==` on authentication codes is constant-time. A missing value never matches.
        let equal = a == b
        return equal && presented != nil && !(expected ?? "").isEmpty
    }
}
