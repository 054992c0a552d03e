import AgentRuntime
import Testing

@testable import Gateway

/// The record of finished runs that `agent.wait` reads (R5).
@Suite struct RunRegistryTests {
    struct Failed: Error {}

    @Test("finished runs are remembered up to the limit, the oldest forgotten first, in order")
    func finishedOutcomesAreBoundedOldestFirst() async {
        let registry = RunRegistry(admission: AdmissionGate(permits: 4, holdLimit: .milliseconds(25)))
        let total = RunRegistry.finishedLimit + 5
        for i in 0..<total {
            let request = AgentRequest(runId: "run-\(i)", agentId: "main", sessionKey: "s", message: "m")
            _ = try? await registry.track(request, control: RunControl()) { throw Failed() }
        }
        for i in 0..<5 { #expect(registry.finished("run-\(i)") == nil, "run-\(i)") }
        for i in 5..<total { #expect(registry.finished("run-\(i)")?.status == .error, "run-\(i)") }
        // A run that finishes again under the same id is not counted twice.
        let again = AgentRequest(runId: "run-\(total - 1)", agentId: "main", sessionKey: "s", message: "m")
        _ = try? await registry.track(again, control: RunControl()) { throw Failed() }
        #expect(registry.finished("run-5")?.status == .error)
    }
}
