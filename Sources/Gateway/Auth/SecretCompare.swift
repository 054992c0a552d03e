import Crypto

/// Timing-safe, length-independent secret comparison (C4): both sides are HMAC-SHA256'd with a
/// fixed key and the digests compared in constant time.
enum SecretCompare {
    /// HMAC-SHA256 keyed with the fixed key, before any message: each digest starts from a copy.
    private static let keyed = HMAC<SHA256>(key: SymmetricKey(data: Array("openclaw-safe-equal".utf8)))

    /// The expected side, digested once (the configured secret does not change while the
    /// gateway runs; digesting it per request was half of auth's cost).
    struct Expected: Sendable {
        fileprivate let mac: HMAC<SHA256>.MAC
        /// A missing or empty expected secret never matches.
        fileprivate let isSet: Bool

        init(_ secret: String?) {
            self.mac = SecretCompare.digest(secret ?? "")
            self.isSet = !(secret ?? "").isEmpty
        }
    }

    static func matches(_ presented: String?, _ expected: String?) -> Bool {
        matches(presented, Expected(expected))
    }

    static func matches(_ presented: String?, _ expected: Expected) -> Bool {
        // `==` on authentication codes is constant-time. A missing value never matches.
        let equal = digest(presented ?? "") == expected.mac
        return equal && presented != nil && expected.isSet
    }

    private static func digest(_ secret: String) -> HMAC<SHA256>.MAC {
        var secret = secret
        var hmac = keyed
        secret.withUTF8 { hmac.update(data: UnsafeRawBufferPointer($0)) }
        return hmac.finalize()
    }
}
