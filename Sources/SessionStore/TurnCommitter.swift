import GRDB
import Synchronization

/// Group commit of finished turns: turns submitted while a commit is in progress are written
/// together in the next transaction, one fsync for all of them.
///
/// A turn is still stored whole or not at all: if any turn of a group fails, the group's
/// transaction is rolled back and each turn is committed on its own. No caller is resumed
/// before the transaction holding its turn has committed (with `synchronous = FULL`, is on
/// disk). A lone turn is committed at once: nothing waits for company. A caller cancelled
/// before its turn was taken stores nothing.
final class TurnCommitter: Sendable {
    typealias Work = @Sendable (Database) throws -> SessionSummary

    private struct Pending: Sendable {
        var id: UInt64
        var work: Work
        var continuation: CheckedContinuation<SessionSummary, any Error>
    }
    private struct State: Sendable {
        var pending: [Pending] = []
        var committing = false
        var nextId: UInt64 = 0
    }

    private let writer: any DatabaseWriter
    private let state = Mutex(State())

    init(writer: any DatabaseWriter) {
        self.writer = writer
    }

    /// Runs `work` in a savepoint of the next group transaction; returns once it is committed.
    func commit(_ work: @escaping Work) async throws -> SessionSummary {
        let id = state.withLock { s in
            s.nextId += 1
            return s.nextId
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<SessionSummary, any Error>) in
                enum Action { case start, wait, cancelled }
                let action: Action = state.withLock { s in
                    if Task.isCancelled { return .cancelled }
                    s.pending.append(Pending(id: id, work: work, continuation: continuation))
                    if s.committing { return .wait }
                    s.committing = true
                    return .start
                }
                switch action {
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .wait: break
                case .start: scheduleBatch()
                }
            }
        } onCancel: {
            let removed: Pending? = state.withLock { s in
                guard let index = s.pending.firstIndex(where: { $0.id == id }) else { return nil }
                return s.pending.remove(at: index)
            }
            removed?.continuation.resume(throwing: CancellationError())
        }
    }

    private func scheduleBatch() {
        writer.asyncWriteWithoutTransaction { db in
            self.drain(db)
        }
    }

    /// Commits batches until nothing is pending.
    private func drain(_ db: Database) {
        while true {
            let batch: [Pending] = state.withLock { s in
                let batch = s.pending
                s.pending.removeAll(keepingCapacity: true)
                if batch.isEmpty { s.committing = false }
                return batch
            }
            if batch.isEmpty { return }
            if batch.count > 1, let summaries = try? commitTogether(batch, db) {
                for (item, summary) in zip(batch, summaries) { item.continuation.resume(returning: summary) }
                continue
            }
            // One turn, or a batch in which something failed (rolled back whole): each turn in its
            // own transaction, so one failure does not take the others with it.
            for item in batch {
                do {
                    var summary: SessionSummary?
                    try db.inTransaction {
                        summary = try item.work(db)
                        return .commit
                    }
                    item.continuation.resume(returning: summary!)
                } catch {
                    item.continuation.resume(throwing: error)
                }
            }
        }
    }

    /// All turns of `batch` in one transaction (no savepoints: SQLite would copy every page
    /// they touch into a statement journal first).
    private func commitTogether(_ batch: [Pending], _ db: Database) throws -> [SessionSummary] {
        var summaries: [SessionSummary] = []
        summaries.reserveCapacity(batch.count)
        try db.inTransaction {
            for item in batch { summaries.append(try item.work(db)) }
            return .commit
        }
        return summaries
    }
}
