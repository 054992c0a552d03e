import AgentRuntime
import DequeModule
import Foundation
import ModelProviders
import NIOCore
import Synchronization

/// Agent runs in flight on every face (HTTP and WebSocket), by run id and session key, so
/// `chat.abort` can stop any of them and `agent.wait` can wait for one (R5).
///
/// A tracked run is stopped through its `RunControl`: aborting stops the control with
/// `GatewayError.runAborted`, which cancels the run (and with it the upstream model request).
/// Finished runs keep a small outcome record for `agent.wait`.
final class RunRegistry: Sendable {
    struct RunInfo: Sendable {
        var runId: String
        var sessionKey: String
        var agentId: String
        var startedAt: Date
    }

    /// How a run ended.
    struct Outcome: Sendable {
        enum Status: String, Sendable {
            case ok, error, aborted
        }
        var status: Status
        var startedAt: Date
        var endedAt: Date
        var error: String?
        var result: AgentResult?
    }

    private struct Active {
        var info: RunInfo
        var control: RunControl
    }

    private struct State {
        var active: [String: Active] = [:]
        var finished: [String: Outcome] = [:]
        /// Oldest first. A deque: the oldest is dropped on every finish once the limit is
        /// reached (an array's `removeFirst` moved all 1,000 ids, under the lock, per run).
        var finishedOrder: Deque<String> = []
        var waiters: [String: [UUID: CheckedContinuation<Outcome?, Never>]] = [:]
        var cancelledWaiters: Set<UUID> = []
    }

    /// Finished outcomes kept for late `agent.wait` calls.
    static let finishedLimit = 1000

    private let state = Mutex(State())

    /// Streamed runs take a permit to start (see `AdmissionGate`).
    let admission: AdmissionGate
    /// Told when a run finishes, to give freed memory back once the gateway is quiet.
    let trimmer: IdleMemoryTrimmer?

    init(admission: AdmissionGate, trimmer: IdleMemoryTrimmer? = nil) {
        self.admission = admission
        self.trimmer = trimmer
    }

    /// Runs `operation` as the run of `request`, registered until it ends; `abort` stops `control`.
    /// - Throws: what `operation` throws, or the reason `control` was stopped with
    ///   (`GatewayError.runAborted` after `abort`).
    func track(
        _ request: AgentRequest, control: RunControl, _ operation: () async throws -> AgentResult
    ) async throws -> AgentResult {
        let info = RunInfo(
            runId: request.runId, sessionKey: request.sessionKey, agentId: request.agentId, startedAt: Date())
        state.withLock { $0.active[info.runId] = Active(info: info, control: control) }
        let result: Result<AgentResult, any Error>
        do {
            result = .success(try await operation())
        } catch {
            result = .failure(control.stopReason ?? error)
        }
        finish(info, result)
        return try result.get()
    }

    private func finish(_ info: RunInfo, _ result: Result<AgentResult, any Error>) {
        var outcome = Outcome(status: .ok, startedAt: info.startedAt, endedAt: Date())
        switch result {
        case .success(let value):
            outcome.result = value
        case .failure(let error as GatewayError) where error == .runAborted:
            outcome.status = .aborted
            outcome.error = error.message
        case .failure(is CancellationError):
            outcome.status = .aborted
            outcome.error = "run cancelled"
        case .failure(let error):
            outcome.status = .error
            outcome.error = GatewayError.fromRun(error).message
        }
        let waiters = state.withLock { s -> [CheckedContinuation<Outcome?, Never>] in
            s.active[info.runId] = nil
            if s.finished.updateValue(outcome, forKey: info.runId) == nil { s.finishedOrder.append(info.runId) }
            if s.finishedOrder.count > Self.finishedLimit {
                s.finished[s.finishedOrder.removeFirst()] = nil
            }
            return Array((s.waiters.removeValue(forKey: info.runId) ?? [:]).values)
        }
        for waiter in waiters { waiter.resume(returning: outcome) }
        trimmer?.runFinished()
    }

    /// Aborts one run. Returns false when no such run is in flight.
    @discardableResult
    func abort(runId: String) -> Bool {
        guard let active = state.withLock({ $0.active[runId] }) else { return false }
        active.control.stop(GatewayError.runAborted)
        return true
    }

    /// Aborts every run of a session; returns their ids.
    func abort(sessionKey: String) -> [String] {
        let runs = state.withLock { s in s.active.values.filter { $0.info.sessionKey == sessionKey } }
        for run in runs { run.control.stop(GatewayError.runAborted) }
        return runs.map(\.info.runId).sorted()
    }

    /// The run, if it is in flight.
    func active(_ runId: String) -> RunInfo? {
        state.withLock { $0.active[runId]?.info }
    }

    /// Every run in flight.
    var activeRuns: [RunInfo] {
        state.withLock { s in s.active.values.map(\.info) }
    }

    /// The outcome of a run that has finished, if it is still remembered.
    func finished(_ runId: String) -> Outcome? {
        state.withLock { $0.finished[runId] }
    }

    /// Waits until the run finishes (it may not have started yet). Nil when the caller is cancelled.
    func outcome(_ runId: String) async -> Outcome? {
        let id = UUID()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Outcome?, Never>) in
                state.withLock { s in
                    if let done = s.finished[runId] {
                        continuation.resume(returning: done)
                    } else if s.cancelledWaiters.remove(id) != nil {
                        continuation.resume(returning: nil)
                    } else {
                        s.waiters[runId, default: [:]][id] = continuation
                    }
                }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<Outcome?, Never>? in
                if let waiter = s.waiters[runId]?.removeValue(forKey: id) { return waiter }
                s.cancelledWaiters.insert(id)
                return nil
            }
            waiter?.resume(returning: nil)
        }
    }
}

extension GatewayError: Equatable {
    static func == (lhs: GatewayError, rhs: GatewayError) -> Bool {
        lhs.status == rhs.status && lhs.message == rhs.message && lhs.type == rhs.type && lhs.code == rhs.code
    }

    /// A run stopped by `chat.abort` (R5).
    static let runAborted = GatewayError(
        status: .internalServerError, message: "run aborted", type: "api_error", code: "run_aborted")
}
