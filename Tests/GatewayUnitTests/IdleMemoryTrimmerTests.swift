import Synchronization
import Testing

@testable import Gateway

/// The trimmer that gives freed heap memory back once runs stop (issue 6). Its clock is the
/// test's own, moved by hand, so a slow machine cannot make a busy spell look quiet.
@Suite struct IdleMemoryTrimmerTests {
    static let quietNanoseconds: Int64 = 50_000_000

    /// A trimmer on a hand-moved clock (in ns) that counts its trims.
    struct Subject {
        final class Counters: Sendable {
            let clock = Atomic<Int64>(1_000_000_000)
            let trims = Atomic(0)
        }
        let counters = Counters()
        let trimmer: IdleMemoryTrimmer

        init() {
            let counters = self.counters
            trimmer = IdleMemoryTrimmer(
                quiet: .nanoseconds(IdleMemoryTrimmerTests.quietNanoseconds),
                now: { counters.clock.load(ordering: .relaxed) }
            ) { counters.trims.add(1, ordering: .relaxed) }
        }

        func advance(_ nanoseconds: Int64) { counters.clock.add(nanoseconds, ordering: .relaxed) }
        var count: Int { counters.trims.load(ordering: .relaxed) }
    }

    @Test("trims once the runs have been quiet, once per quiet spell, and not without runs")
    func trimsAfterQuiet() async throws {
        let subject = Subject()
        subject.advance(10 * Self.quietNanoseconds)
        try await Task.sleep(for: .milliseconds(200))
        #expect(subject.count == 0, "no run finished: nothing to trim")

        subject.trimmer.runFinished()
        subject.advance(Self.quietNanoseconds)
        #expect(await eventually(seconds: 10) { subject.count == 1 })
        subject.advance(10 * Self.quietNanoseconds)
        try await Task.sleep(for: .milliseconds(200))
        #expect(subject.count == 1, "no run since: no more trims")

        subject.trimmer.runFinished()
        subject.advance(Self.quietNanoseconds)
        #expect(await eventually(seconds: 10) { subject.count == 2 })
    }

    @Test("does not trim while runs keep finishing; trims when they stop")
    func noTrimWhileBusy() async throws {
        let subject = Subject()
        // A run finishes every 10 ms of the trimmer's clock for 1 s of it, while its timer
        // fires every 50 ms of real time and finds less than 50 ms of quiet each time.
        for _ in 0..<100 {
            subject.advance(10_000_000)
            subject.trimmer.runFinished()
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(subject.count == 0)
        subject.advance(Self.quietNanoseconds)
        #expect(await eventually(seconds: 10) { subject.count == 1 })
    }

    #if canImport(Glibc)
    @Test("the default trim finds glibc's malloc_trim, so it gives memory back rather than doing nothing")
    func findsMallocTrim() {
        #expect(IdleMemoryTrimmer.cMallocTrim != nil)
    }
    #endif
}
