import Synchronization

/// Serializes runs per session key (O3): one run at a time per key, later ones wait in FIFO
/// order. A waiter whose task is cancelled leaves the queue at once.
public final class SessionLanes: Sendable {
    private struct Waiter: Sendable {
        var id: UInt64
        var continuation: CheckedContinuation<Void, any Error>
    }
    private struct State: Sendable {
        /// A key is present while its lane is held; the array is the queue behind the holder.
        var lanes: [String: [Waiter]] = [:]
        var nextId: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Runs `body` while holding the lane of `key`.
    public func withLane<T>(_ key: String, _ body: () async throws -> T) async throws -> T {
        try await acquire(key)
        defer { release(key) }
        return try await body()
    }

    /// How many runs hold or wait for `key` (for status and tests).
    public func occupancy(_ key: String) -> Int {
        state.withLock { s in s.lanes[key].map { $0.count + 1 } ?? 0 }
    }

    private func acquire(_ key: String) async throws {
        let id = state.withLock { s in
            s.nextId += 1
            return s.nextId
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Outcome { case acquired, queued, cancelled }
                let outcome: Outcome = state.withLock { s in
                    if Task.isCancelled { return .cancelled }
                    if s.lanes[key] == nil {
                        s.lanes[key] = []
                        return .acquired
                    }
                    s.lanes[key]!.append(Waiter(id: id, continuation: continuation))
                    return .queued
                }
                switch outcome {
                case .acquired: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .queued: break
                }
            }
        } onCancel: {
            let removed: CheckedContinuation<Void, any Error>? = state.withLock { s in
                guard var queue = s.lanes[key], let index = queue.firstIndex(where: { $0.id == id }) else {
                    return nil
                }
                let waiter = queue.remove(at: index)
                s.lanes[key] = queue
                return waiter.continuation
            }
            removed?.resume(throwing: CancellationError())
        }
    }

    private func release(_ key: String) {
        let next: CheckedContinuation<Void, any Error>? = state.withLock { s in
            guard var queue = s.lanes[key] else { return nil }
            if queue.isEmpty {
                s.lanes[key] = nil
                return nil
            }
            let waiter = queue.removeFirst()
            s.lanes[key] = queue
            return waiter.continuation
        }
        // The lane passes straight to the next waiter; it is never free in between.
        next?.resume()
    }
}
