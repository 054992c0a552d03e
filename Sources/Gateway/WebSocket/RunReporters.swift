import AgentRuntime
import Foundation
import OpenAIWire
import Synchronization

/// What a reporter hands the run: the event callback to pass to `AgentRuntime.run`.
typealias ReportedRun = @Sendable (@escaping @Sendable (AgentEvent) async throws -> Void) async throws -> AgentResult

/// Renders one run as `agent` events (O4, R6, D-10): `{runId, seq, stream, ts, data}` with
/// stream `lifecycle` (`start`/`end`/`error`), `assistant` (`delta` and `text` so far) and
/// `tool` (`start` with the call's name and arguments, `end` with `isError` and the byte count
/// of the output; the output itself stays between the runtime and the model).
struct AgentRunReporter: Sendable {
    let runId: String
    let outbox: Outbox
    private let seq = Counter()

    init(runId: String, outbox: Outbox) {
        self.runId = runId
        self.outbox = outbox
    }

    @discardableResult
    func run(_ operation: ReportedRun) async -> AgentResult? {
        emit("lifecycle", ["phase": .string("start"), "startedAt": .int(Date.nowMs)])
        do {
            let result = try await operation { event in
                switch event {
                case .assistantDelta(let delta, let text, _):
                    emit("assistant", ["delta": .string(delta), "text": .string(text)])
                case .modelFallback(let from, let to, let reason):
                    emit(
                        "lifecycle",
                        ["phase": .string("fallback"), "from": .string(from), "to": .string(to), "reason": .string(reason)])
                case .toolStarted(let callId, let name, let arguments):
                    emit(
                        "tool",
                        [
                            "phase": .string("start"), "callId": .string(callId), "name": .string(name),
                            "arguments": .string(arguments),
                        ])
                case .toolFinished(let callId, let name, let isError, let output):
                    emit(
                        "tool",
                        [
                            "phase": .string("end"), "callId": .string(callId), "name": .string(name),
                            "isError": .bool(isError), "outputBytes": .int(output.utf8.count),
                        ])
                default:
                    break
                }
            }
            emit("lifecycle", ["phase": .string("end"), "endedAt": .int(Date.nowMs)])
            return result
        } catch {
            var data: [String: JSONValue] = [
                "phase": .string("error"), "endedAt": .int(Date.nowMs), "error": .string(RunFailure(error).message),
            ]
            if RunFailure(error).aborted { data["aborted"] = .bool(true) }
            emit("lifecycle", data)
            return nil
        }
    }

    private func emit(_ stream: String, _ data: [String: JSONValue]) {
        outbox.event(
            "agent",
            .object([
                "runId": .string(runId), "seq": .int(seq.next()), "stream": .string(stream), "ts": .int(Date.nowMs),
                "data": .object(data),
            ]))
    }
}

/// Renders one run as `chat` events (R6): `delta` with the assistant message so far, then
/// `final`, `aborted` or `error`.
struct ChatRunReporter: Sendable {
    let runId: String
    let sessionKey: String
    let outbox: Outbox
    private let seq = Counter()
    private let latest = Latest()

    init(runId: String, sessionKey: String, outbox: Outbox) {
        self.runId = runId
        self.sessionKey = sessionKey
        self.outbox = outbox
    }

    func run(_ operation: ReportedRun) async {
        do {
            let result = try await operation { event in
                switch event {
                case .assistantDelta(_, let text, _):
                    latest.set(text)
                    emit("delta", ["message": Self.message(text)])
                default:
                    break
                }
            }
            emit(
                "final",
                [
                    "message": Self.message(result.text), "usage": ControlMethods.usage(result.usage),
                    "stopReason": .string(result.finishReason),
                ])
        } catch {
            let failure = RunFailure(error)
            if failure.aborted {
                let text = latest.value
                emit("aborted", text.isEmpty ? [:] : ["message": Self.message(text)])
            } else {
                emit("error", ["errorMessage": .string(failure.message)])
            }
        }
    }

    static func message(_ text: String) -> JSONValue {
        .object([
            "role": .string("assistant"),
            "content": .array([.object(["type": .string("text"), "text": .string(text)])]),
            "timestamp": .int(Date.nowMs),
        ])
    }

    private func emit(_ state: String, _ extra: [String: JSONValue]) {
        var payload = extra
        payload["runId"] = .string(runId)
        payload["sessionKey"] = .string(sessionKey)
        payload["seq"] = .int(seq.next())
        payload["state"] = .string(state)
        outbox.event("chat", .object(payload))
    }
}

/// A failed run as a client sees it.
struct RunFailure {
    var aborted: Bool
    var message: String

    init(_ error: any Error) {
        switch error {
        case let error as GatewayError where error == .runAborted:
            self.init(aborted: true, message: error.message)
        case is CancellationError:
            self.init(aborted: true, message: "run aborted")
        default:
            self.init(aborted: false, message: GatewayError.fromRun(error).message)
        }
    }

    init(aborted: Bool, message: String) {
        self.aborted = aborted
        self.message = message
    }
}

/// A per-run sequence number.
final class Counter: Sendable {
    private let value = Mutex(0)

    func next() -> Int {
        value.withLock { v in
            v += 1
            return v
        }
    }
}

/// The assistant text of a run so far.
final class Latest: Sendable {
    private let text = Mutex("")

    func set(_ value: String) { text.withLock { $0 = value } }
    var value: String { text.withLock { $0 } }
}
