import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import Gateway

/// The gate that lets a bounded number of streamed runs start at once (issue 6).
@Suite struct AdmissionGateTests {
    @Test("with every permit taken a run waits; released permits admit waiters first come, first served")
    func boundsAndOrder() async throws {
        let gate = AdmissionGate(permits: 2, holdLimit: .seconds(60))
        let a = try await gate.enter()
        let b = try await gate.enter()
        let admitted = NIOLockedValueBox<[String]>([])
        let tickets = NIOLockedValueBox<[AdmissionTicket]>([])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for name in ["c", "d"] {
                group.addTask {
                    let ticket = try await gate.enter()
                    admitted.withLockedValue { $0.append(name) }
                    tickets.withLockedValue { $0.append(ticket) }
                }
                // Queue "c" before "d".
                #expect(await eventually { gate.waiting == (name == "c" ? 1 : 2) })
            }
            try await Task.sleep(for: .milliseconds(50))
            #expect(admitted.withLockedValue { $0 }.isEmpty, "no permit was free")
            a.release()
            #expect(await eventually { admitted.withLockedValue { $0 } == ["c"] })
            a.release()  // a second release of the same ticket gives nothing back
            try await Task.sleep(for: .milliseconds(50))
            #expect(admitted.withLockedValue { $0 } == ["c"])
            b.release()
            try await group.waitForAll()
        }
        #expect(admitted.withLockedValue { $0 } == ["c", "d"])
        #expect(gate.waiting == 0)
    }

    @Test("a permit not given back is released after the hold limit, so a slow model cannot keep it")
    func holdLimit() async throws {
        let gate = AdmissionGate(permits: 1, holdLimit: .milliseconds(100))
        _ = try await gate.enter()  // never released by its holder
        let clock = ContinuousClock()
        let start = clock.now
        let second = try await gate.enter()
        #expect(clock.now - start >= .milliseconds(90))
        second.release()
    }

    @Test("a run cancelled while it waits leaves the queue holding no permit")
    func cancelledWaiter() async throws {
        let gate = AdmissionGate(permits: 1, holdLimit: .seconds(60))
        let first = try await gate.enter()
        let waiter = Task { try await gate.enter() }
        #expect(await eventually { gate.waiting == 1 })
        waiter.cancel()
        await #expect(throws: CancellationError.self) { _ = try await waiter.value }
        #expect(gate.waiting == 0)
        // The one permit is still first's: a new run waits until first gives it back.
        let next = Task { try await gate.enter() }
        #expect(await eventually { gate.waiting == 1 })
        first.release()
        try await next.value.release()
        // And it is free again.
        try await gate.enter().release()
    }

    @Test("a run already cancelled when it comes to the gate does not wait")
    func cancelledBeforeQueueing() async throws {
        let gate = AdmissionGate(permits: 1, holdLimit: .seconds(60))
        let first = try await gate.enter()
        let waiter = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await gate.enter()
        }
        await #expect(throws: CancellationError.self) { _ = try await waiter.value }
        #expect(gate.waiting == 0)
        first.release()
    }
}
