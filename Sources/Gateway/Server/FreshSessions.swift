import SessionStore
import Synchronization

/// The session store as the runtime sees it, knowing which keys the gateway has just made up.
///
/// A stateless request (no session header, no `user`) gets a key holding a fresh time-ordered
/// random id (H1), so no transcript can exist under it: its history read, a read transaction
/// on a pooled connection and two thread hops, is answered here with nothing. Everything else
/// goes to the real store.
final class FreshSessions: SessionStore {
    let base: any SessionStore
    private let fresh = Mutex<Set<String>>([])

    init(base: any SessionStore) {
        self.base = base
    }

    /// Marks `key` as new until its history is read or `forget` is called.
    func markNew(_ key: String) {
        _ = fresh.withLock { $0.insert(key) }
    }

    func forget(_ key: String) {
        _ = fresh.withLock { $0.remove(key) }
    }

    func history(sessionKey: String, limit: Int) async throws -> [TranscriptMessage] {
        if fresh.withLock({ $0.remove(sessionKey) != nil }) { return [] }
        return try await base.history(sessionKey: sessionKey, limit: limit)
    }

    func appendTurn(_ turn: SessionTurn) async throws -> SessionSummary {
        try await base.appendTurn(turn)
    }

    func session(key: String) async throws -> SessionSummary? {
        try await base.session(key: key)
    }

    func sessions(limit: Int) async throws -> [SessionSummary] {
        try await base.sessions(limit: limit)
    }

    func reset(key: String) async throws -> Bool {
        try await base.reset(key: key)
    }
}
