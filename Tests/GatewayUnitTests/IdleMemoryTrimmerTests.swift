import Synchronization
import Testing

@testable import Gateway

/// The trimmer that gives freed heap memory back once runs stop (issue 6).
@Suite struct IdleMemoryTrimmerTests {
    /// Polls `condition` for up to `seconds`.
    func eventually(_ seconds: Double = 5, _ condition: () -> Bool) async -> Bool {
        for _ in 0..<Int(seconds * 100) {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    @Test("trims once the runs have been quiet, once per quiet spell, and not without runs")
    func trimsAfterQuiet() async throws {
        let trims = Atomic(0)
        let trimmer = IdleMemoryTrimmer(quiet: .milliseconds(100)) { trims.add(1, ordering: .relaxed) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(trims.load(ordering: .relaxed) == 0, "no run finished: nothing to trim")
        trimmer.runFinished()
        #expect(await eventually { trims.load(ordering: .relaxed) == 1 })
        try await Task.sleep(for: .milliseconds(500))
        #expect(trims.load(ordering: .relaxed) == 1, "no run since: no more trims")
        trimmer.runFinished()
        #expect(await eventually { trims.load(ordering: .relaxed) == 2 })
    }

    @Test("does not trim while runs keep finishing; trims when they stop")
    func noTrimWhileBusy() async throws {
        let trims = Atomic(0)
        let trimmer = IdleMemoryTrimmer(quiet: .seconds(1)) {
            trims.add(1, ordering: .relaxed)
        }
        // A run finishes every 20 ms for 2.5 s: never a second of quiet.
        for _ in 0..<125 {
            trimmer.runFinished()
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(trims.load(ordering: .relaxed) == 0)
        #expect(await eventually { trims.load(ordering: .relaxed) == 1 })
    }
}
