import Synchronization
import Testing

@testable import Gateway

/// The trimmer that gives freed heap memory back once runs stop (issue 6). Its clock is the
/// test's own, moved by hand, so a slow machine cannot make a busy spell look quiet.
@Suite struct IdleMemoryTrimmerTests {
    static let quiet: Duration = .milliseconds(50)
    static let quietNanoseconds: Int64 = 50_000_000

    /// Polls `condition` for up to 10 s.
    func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<1000 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    @Test("trims once the runs have been quiet, once per quiet spell, and not without runs")
    func trimsAfterQuiet() async throws {
        let clock = Atomic<Int64>(1_000_000_000)
        let trims = Atomic(0)
        let trimmer = IdleMemoryTrimmer(quiet: Self.quiet, now: { clock.load(ordering: .relaxed) }) {
            trims.add(1, ordering: .relaxed)
        }
        clock.add(10 * Self.quietNanoseconds, ordering: .relaxed)
        try await Task.sleep(for: .milliseconds(200))
        #expect(trims.load(ordering: .relaxed) == 0, "no run finished: nothing to trim")

        trimmer.runFinished()
        clock.add(Self.quietNanoseconds, ordering: .relaxed)
        #expect(await eventually { trims.load(ordering: .relaxed) == 1 })
        clock.add(10 * Self.quietNanoseconds, ordering: .relaxed)
        try await Task.sleep(for: .milliseconds(200))
        #expect(trims.load(ordering: .relaxed) == 1, "no run since: no more trims")

        trimmer.runFinished()
        clock.add(Self.quietNanoseconds, ordering: .relaxed)
        #expect(await eventually { trims.load(ordering: .relaxed) == 2 })
    }

    @Test("does not trim while runs keep finishing; trims when they stop")
    func noTrimWhileBusy() async throws {
        let clock = Atomic<Int64>(1_000_000_000)
        let trims = Atomic(0)
        let trimmer = IdleMemoryTrimmer(quiet: Self.quiet, now: { clock.load(ordering: .relaxed) }) {
            trims.add(1, ordering: .relaxed)
        }
        // A run finishes every 10 ms of the trimmer's clock for 1 s of it, while its timer
        // fires every 50 ms of real time and finds less than 50 ms of quiet each time.
        for _ in 0..<100 {
            clock.add(10_000_000, ordering: .relaxed)
            trimmer.runFinished()
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(trims.load(ordering: .relaxed) == 0)
        clock.add(Self.quietNanoseconds, ordering: .relaxed)
        #expect(await eventually { trims.load(ordering: .relaxed) == 1 })
    }
}
