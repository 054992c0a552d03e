import GatewayConfig
import Synchronization

/// The failed-auth limiter (D1–D3, D-3, D-10): a sliding window of failures per
/// `{scope}:{clientIp}`; reaching `maxAttempts` locks the key for `lockoutMs`.
final class AuthRateLimiter: Sendable {
    enum Decision: Equatable {
        case allowed
        /// Locked; retry after this many milliseconds.
        case locked(retryAfterMs: Int)
    }

    private struct Entry {
        var failures: [Int64] = []
        var lockedUntil: Int64?
    }
    private struct State {
        var entries: [String: Entry] = [:]
        var lastPrune: Int64 = 0
    }

    static let maxEntries = 10_000
    static let pruneIntervalMs: Int64 = 60_000

    let config: RateLimitConfig
    private let now: @Sendable () -> Int64
    private let state = Mutex(State())

    /// - Parameter now: milliseconds on a monotonic clock (injectable for tests).
    init(config: RateLimitConfig, now: @escaping @Sendable () -> Int64 = AuthRateLimiter.monotonicMs) {
        self.config = config
        self.now = now
    }

    private static let epoch = ContinuousClock.now

    static func monotonicMs() -> Int64 {
        let d = ContinuousClock.now - epoch
        let (s, a) = d.components
        return s * 1000 + a / 1_000_000_000_000_000
    }

    /// Whether `ip` is exempt (loopback with `exemptLoopback`).
    func isExempt(ip: String) -> Bool {
        config.exemptLoopback && ClientAddress.isLoopback(ip)
    }

    /// Checked before comparing credentials: a locked key is rejected even with the right secret.
    func check(_ key: String) -> Decision {
        let t = now()
        return state.withLock { s in
            guard let entry = s.entries[key], let until = entry.lockedUntil else { return .allowed }
            if until > t { return .locked(retryAfterMs: Int(until - t)) }
            s.entries[key] = nil  // lockout over: history cleared (D2)
            return .allowed
        }
    }

    /// Records a wrong credential; returns true when this failure locked the key.
    @discardableResult
    func recordFailure(_ key: String) -> Bool {
        let t = now()
        return state.withLock { s in
            prune(&s, now: t)
            var entry = s.entries[key] ?? Entry()
            entry.failures.removeAll { $0 <= t - Int64(config.windowMs) }
            entry.failures.append(t)
            var locked = false
            if entry.failures.count >= config.maxAttempts {
                entry.lockedUntil = t + Int64(config.lockoutMs)
                locked = true
            }
            s.entries[key] = entry
            return locked
        }
    }

    /// A correct credential clears the key's history (C5).
    func reset(_ key: String) {
        state.withLock { s in _ = s.entries.removeValue(forKey: key) }
    }

    var trackedCount: Int { state.withLock { $0.entries.count } }

    private func prune(_ s: inout State, now t: Int64) {
        if t - s.lastPrune >= Self.pruneIntervalMs {
            s.lastPrune = t
            let windowStart = t - Int64(config.windowMs)
            s.entries = s.entries.filter { _, e in
                if let until = e.lockedUntil { return until > t }
                return e.failures.contains { $0 > windowStart }
            }
        }
        if s.entries.count >= Self.maxEntries {
            // Evict unlocked entries with the oldest last failure first; locked ones stay.
            let victims = s.entries.filter { $0.value.lockedUntil == nil }
                .sorted { ($0.value.failures.last ?? 0) < ($1.value.failures.last ?? 0) }
                .prefix(s.entries.count - Self.maxEntries + 1)
            for (key, _) in victims { s.entries[key] = nil }
        }
    }
}

/// Client address helpers (D5).
enum ClientAddress {
    /// `::ffff:1.2.3.4` → `1.2.3.4`.
    static func canonical(_ ip: String) -> String {
        let lowered = ip.lowercased()
        if lowered.hasPrefix("::ffff:"), lowered.dropFirst(7).contains(".") { return String(lowered.dropFirst(7)) }
        return lowered
    }

    /// 127.0.0.0/8 and ::1.
    static func isLoopback(_ ip: String) -> Bool {
        let c = canonical(ip)
        return c.hasPrefix("127.") || c == "::1"
    }
}
