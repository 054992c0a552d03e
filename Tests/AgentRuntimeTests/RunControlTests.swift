import Synchronization
import Testing

@testable import AgentRuntime

/// Work begun with `RunControl.start` (a streamed run, started before its response head is
/// written) and waited for later with `wait(for:)`.
@Suite struct RunControlStartTests {
    struct Stopped: Error, Equatable {}

    @Test("start runs the work at once, before anyone waits; wait returns its result")
    func startsAtOnce() async throws {
        let control = RunControl()
        let (ran, ranContinuation) = AsyncStream.makeStream(of: Void.self)
        let task = control.start(preferring: globalConcurrentExecutor) {
            ranContinuation.yield()
            return 42
        }
        var iterator = ran.makeAsyncIterator()
        _ = await iterator.next()  // ran without a waiter
        #expect(try await control.wait(for: task) == 42)
        #expect(!control.isRunning)
    }

    @Test("stop cancels the started work, and wait throws the stop's reason")
    func stopCancelsTheWork() async throws {
        let control = RunControl()
        let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
        let task = control.start(preferring: globalConcurrentExecutor) {
            startedContinuation.yield()
            try await Task.sleep(for: .seconds(60))
            return 1
        }
        var iterator = started.makeAsyncIterator()
        _ = await iterator.next()
        control.stop(Stopped())
        await #expect(throws: Stopped.self) { try await control.wait(for: task) }
        #expect(task.isCancelled)
    }

    @Test("a control stopped before start cancels the work it then starts")
    func stoppedBeforeStart() async throws {
        let control = RunControl()
        control.stop(Stopped())
        let task = control.start(preferring: globalConcurrentExecutor) {
            try await Task.sleep(for: .seconds(60))
            return 1
        }
        await #expect(throws: Stopped.self) { try await control.wait(for: task) }
    }

    @Test("cancelling the task that waits stops the started work with CancellationError")
    func cancelledWaiterStopsTheWork() async throws {
        let control = RunControl()
        let work = control.start(preferring: globalConcurrentExecutor) {
            try await Task.sleep(for: .seconds(60))
            return 1
        }
        let waiter = Task { try await control.wait(for: work) }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(control.stopReason is CancellationError)
        #expect(work.isCancelled)
    }

    @Test("wait ticks while the work goes on, and stops ticking when it ends")
    func ticksWhileWaiting() async throws {
        let control = RunControl()
        let ticks = Atomic<Int>(0)
        let task = control.start(preferring: globalConcurrentExecutor) {
            while ticks.load(ordering: .relaxed) < 3 { try await Task.sleep(for: .milliseconds(5)) }
            return "done"
        }
        let result = try await control.wait(for: task, tickEvery: .milliseconds(10)) {
            ticks.add(1, ordering: .relaxed)
        }
        #expect(result == "done")
        let after = ticks.load(ordering: .relaxed)
        try await Task.sleep(for: .milliseconds(50))
        #expect(ticks.load(ordering: .relaxed) == after)
    }
}
