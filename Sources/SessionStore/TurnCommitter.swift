import GRDB
import Synchronization

/// Group commit of finished turns: turns submitted while a commit is in progress are written
/// together in the next transaction, one fsync for all of them.
///
/// Each turn still runs in its own savepoint, so it is stored whole or not at all, and no
/// caller is resumed before the transaction holding its turn has committed (with
/// `synchronous = FULL`, is on disk). A lone turn is committed at once: nothing waits for
/// company. A caller cancelled before its turn was taken stores nothing.
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
            var results: [Result<SessionSummary, any Error>] = []
            results.reserveCapacity(batch.count)
            do {
                try db.inTransaction {
                    for item in batch {
                        var outcome: Result<SessionSummary, any Error> = .failure(CancellationError())
                        do {
                            try db.inSavepoint {
                                outcome = .success(try item.work(db))
                                return .commit
                            }
                        } catch {
                            outcome = .failure(error)
                        }
                        results.append(outcome)
                    }
                    return .commit
                }
            } catch {
                // The commit itself failed: nothing of this batch is stored.
                for item in batch { item.continuation.resume(throwing: error) }
                continue
            }
            for (item, result) in zip(batch, results) { item.continuation.resume(with: result) }
        }
    }
}
