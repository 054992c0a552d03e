import GatewayConfig
import Synchronization
import Testing

@testable import Gateway

/// D1–D3, D-3, D-10: the failed-auth limiter with an injected clock.
@Suite struct AuthRateLimiterTests {
    final class Clock: Sendable {
        private let ms = Mutex<Int64>(1_000_000)
        var now: Int64 { ms.withLock { $0 } }
        func advance(_ delta: Int64) { ms.withLock { $0 += delta } }
    }

    private func limiter(
        maxAttempts: Int = 3, windowMs: Int = 60_000, lockoutMs: Int = 300_000, exemptLoopback: Bool = true,
        clock: Clock
    ) -> AuthRateLimiter {
        var config = RateLimitConfig()
        config.maxAttempts = maxAttempts
        config.windowMs = windowMs
        config.lockoutMs = lockoutMs
        config.exemptLoopback = exemptLoopback
        return AuthRateLimiter(config: config, now: { clock.now })
    }

    private let key = "shared-secret:203.0.113.7"

    @Test("D2/D-10: the failure that reaches maxAttempts locks the key")
    func lockOnMaxAttempts() {
        let clock = Clock()
        let l = limiter(clock: clock)
        #expect(l.recordFailure(key) == false)
        #expect(l.check(key) == .allowed)
        #expect(l.recordFailure(key) == false)
        #expect(l.check(key) == .allowed)
        #expect(l.recordFailure(key) == true)
        #expect(l.check(key) == .locked(retryAfterMs: 300_000))
    }

    @Test("D2/D3: while locked every check is rejected with the remaining time")
    func lockedRejects() {
        let clock = Clock()
        let l = limiter(maxAttempts: 1, lockoutMs: 10_000, clock: clock)
        l.recordFailure(key)
        clock.advance(2_500)
        #expect(l.check(key) == .locked(retryAfterMs: 7_500))
        clock.advance(7_499)
        #expect(l.check(key) == .locked(retryAfterMs: 1))
    }

    @Test("D2: after the lockout expires the history is cleared")
    func expiryClearsHistory() {
        let clock = Clock()
        let l = limiter(maxAttempts: 3, windowMs: 600_000, lockoutMs: 10_000, clock: clock)
        for _ in 0..<3 { l.recordFailure(key) }
        clock.advance(10_000)
        #expect(l.check(key) == .allowed)
        // The three earlier failures are still inside the window but no longer count.
        #expect(l.recordFailure(key) == false)
        #expect(l.recordFailure(key) == false)
        #expect(l.check(key) == .allowed)
        #expect(l.recordFailure(key) == true)
    }

    @Test("D1: failures older than the window do not count")
    func slidingWindow() {
        let clock = Clock()
        let l = limiter(maxAttempts: 3, windowMs: 60_000, clock: clock)
        l.recordFailure(key)
        clock.advance(1_000)
        l.recordFailure(key)
        clock.advance(59_000)  // the first failure is now exactly windowMs old
        #expect(l.recordFailure(key) == false)
        clock.advance(1_001)  // and now the second one is too
        #expect(l.recordFailure(key) == false)
        #expect(l.check(key) == .allowed)
        #expect(l.recordFailure(key) == true)
    }

    @Test("C5: a correct credential (reset) clears the key's failures")
    func resetClears() {
        let clock = Clock()
        let l = limiter(maxAttempts: 3, clock: clock)
        l.recordFailure(key)
        l.recordFailure(key)
        l.reset(key)
        #expect(l.trackedCount == 0)
        #expect(l.recordFailure(key) == false)
        #expect(l.recordFailure(key) == false)
        #expect(l.recordFailure(key) == true)
    }

    @Test("D1: keys are independent")
    func keysIndependent() {
        let clock = Clock()
        let l = limiter(maxAttempts: 1, clock: clock)
        l.recordFailure("shared-secret:198.51.100.1")
        #expect(l.check("shared-secret:198.51.100.1") != .allowed)
        #expect(l.check("shared-secret:198.51.100.2") == .allowed)
    }

    @Test(
        "D1/D5: loopback clients are exempt when exemptLoopback is on",
        arguments: [
            ("127.0.0.1", true), ("127.9.9.9", true), ("::1", true), ("::ffff:127.0.0.1", true),
            ("10.0.0.1", false), ("::ffff:10.0.0.1", false), ("203.0.113.7", false),
        ])
    func loopbackExemption(ip: String, exempt: Bool) {
        let clock = Clock()
        #expect(limiter(clock: clock).isExempt(ip: ip) == exempt)
        #expect(limiter(exemptLoopback: false, clock: clock).isExempt(ip: ip) == false)
    }

    @Test("D5: IPv4-mapped IPv6 addresses are canonicalized")
    func canonicalAddresses() {
        #expect(ClientAddress.canonical("::FFFF:10.0.0.1") == "10.0.0.1")
        #expect(ClientAddress.canonical("::ffff:abcd") == "::ffff:abcd")
        #expect(ClientAddress.canonical("2001:DB8::1") == "2001:db8::1")
    }

    @Test("D-3: the defaults are 10 attempts, 60 s window, 300 s lockout, loopback exempt")
    func defaults() {
        let config = RateLimitConfig()
        #expect(config.maxAttempts == 10)
        #expect(config.windowMs == 60_000)
        #expect(config.lockoutMs == 300_000)
        #expect(config.exemptLoopback)
        let clock = Clock()
        let l = AuthRateLimiter(config: config, now: { clock.now })
        for _ in 0..<9 { #expect(l.recordFailure(key) == false) }
        #expect(l.recordFailure(key) == true)
    }
}
