import Synchronization

/// A3: how many sockets one client IP may hold open before `connect` has succeeded. A socket
/// takes a slot at the upgrade and gives it back when `connect` succeeds or the socket closes;
/// an upgrade beyond the budget is answered with a raw 503 "Too many unauthenticated sockets".
final class PreAuthBudget: Sendable {
    static let defaultPerIP = 16

    let perIP: Int
    private let counts = Mutex<[String: Int]>([:])

    init(perIP: Int = PreAuthBudget.defaultPerIP) {
        self.perIP = perIP
    }

    /// A slot for `ip`, or nil when it already holds `perIP` of them.
    func claim(_ ip: String) -> Slot? {
        let claimed = counts.withLock { counts in
            guard counts[ip, default: 0] < perIP else { return false }
            counts[ip, default: 0] += 1
            return true
        }
        return claimed ? Slot(budget: self, ip: ip) : nil
    }

    /// Sockets of `ip` that hold a slot.
    func held(by ip: String) -> Int { counts.withLock { $0[ip] ?? 0 } }

    private func release(_ ip: String) {
        counts.withLock { counts in
            let left = counts[ip, default: 1] - 1
            counts[ip] = left > 0 ? left : nil
        }
    }

    /// One socket's slot; `release` may be called any number of times, it counts once.
    final class Slot: Sendable {
        private let budget: PreAuthBudget
        private let ip: String
        private let released = Mutex(false)

        fileprivate init(budget: PreAuthBudget, ip: String) {
            self.budget = budget
            self.ip = ip
        }

        func release() {
            let first = released.withLock { released in
                defer { released = true }
                return !released
            }
            if first { budget.release(ip) }
        }
    }
}
