import AgentRuntime
import Foundation
import ModelProviders
import Synchronization

/// A `ModelProvider` that answers from a script and records every request it gets.
final class ScriptedProvider: ModelProvider {
    enum Step: Sendable {
        /// Streams the deltas, then answers with their concatenation.
        case reply([String], usage: ModelUsage = ModelUsage(inputTokens: 3, outputTokens: 2))
        /// Fails before streaming.
        case fail(ProviderError)
        /// Streams the deltas, then fails.
        case failAfter([String], ProviderError)
        /// Waits this long, then answers "late".
        case delay(Duration)
        /// Reports these events as they are, then answers with the text of their deltas.
        case events([ModelStreamEvent])
    }

    private struct State {
        var steps: [Step]
        var requests: [ModelRequest] = []
        var inFlight = 0
        var maxInFlight = 0
    }

    let id: String
    private let state: Mutex<State>

    init(id: String, _ steps: [Step]) {
        self.id = id
        self.state = Mutex(State(steps: steps))
    }

    var requests: [ModelRequest] { state.withLock { $0.requests } }
    var maxInFlight: Int { state.withLock { $0.maxInFlight } }

    func complete(
        _ request: ModelRequest, onEvent: (ModelStreamEvent) async throws -> Void
    ) async throws -> ModelResponse {
        let step: Step = state.withLock { s in
            s.requests.append(request)
            s.inFlight += 1
            s.maxInFlight = max(s.maxInFlight, s.inFlight)
            return s.steps.isEmpty ? .reply(["default"]) : s.steps.removeFirst()
        }
        defer { state.withLock { $0.inFlight -= 1 } }
        switch step {
        case .reply(let deltas, let usage):
            for delta in deltas { try await onEvent(.textDelta(delta)) }
            return ModelResponse(text: deltas.joined(), usage: usage, finishReason: "stop")
        case .fail(let error):
            throw error
        case .failAfter(let deltas, let error):
            for delta in deltas { try await onEvent(.textDelta(delta)) }
            throw error
        case .delay(let duration):
            try await Task.sleep(for: duration)
            return ModelResponse(text: "late")
        case .events(let events):
            var text = ""
            for event in events {
                if case .textDelta(let delta, _) = event { text += delta }
                try await onEvent(event)
            }
            return ModelResponse(text: text, finishReason: "stop")
        }
    }
}

/// Events a run reported, in order.
final class EventLog: Sendable {
    private let events = Mutex<[AgentEvent]>([])

    func record(_ event: AgentEvent) { events.withLock { $0.append(event) } }

    var all: [AgentEvent] { events.withLock { $0 } }
}
