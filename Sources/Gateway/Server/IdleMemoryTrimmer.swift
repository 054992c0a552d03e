import ModelProviders
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Gives the heap memory a burst of runs freed back to the system once the gateway has been
/// quiet for a while.
///
/// glibc's allocator keeps what was freed: after 2,000 concurrent streams the gateway's RSS
/// stayed at ~205 MiB with nothing running, although less than 20 MiB of it was in use (the
/// rest free chunks in the event loops' arenas). `malloc_trim` returns the free pages. It runs
/// once no run has finished for `quiet` — in the gateway a little longer than AsyncHTTPClient
/// keeps idle upstream connections, whose memory is freed only when they close — and never
/// while runs keep coming: memory given back is faulted in again by the next burst (in one
/// `make bench` run with a 2 s quiet time, the 2,000-stream phase, started on a trimmed heap,
/// had 103 stalls where this session's other runs had 0–7). Measured (issue 6): 205 → 53 MiB.
///
/// Nothing runs until a run finishes: one event-loop timer per quiet spell, no task at start.
final class IdleMemoryTrimmer: Sendable {
    private let quiet: Duration
    private let trim: @Sendable () -> Void
    private let now: @Sendable () -> Int64
    /// When the last run finished (`NIODeadline` uptime, ns).
    private let lastFinished = Atomic<Int64>(0)
    /// A check is scheduled.
    private let pending = Atomic(false)

    /// - Parameters:
    ///   - quiet: how long no run may finish before the trim.
    ///   - now: the clock, in nanoseconds (tests move their own).
    ///   - trim: the trim, called on NIO's thread pool (tests count calls); by default
    ///     `malloc_trim(0)`.
    init(
        quiet: Duration, now: @escaping @Sendable () -> Int64 = { Int64(NIODeadline.now().uptimeNanoseconds) },
        trim: (@Sendable () -> Void)? = nil
    ) {
        self.quiet = quiet
        self.now = now
        self.trim = trim ?? Self.mallocTrim
    }

    /// A run finished. Cheap: a clock read and two atomics; a timer once per quiet spell.
    func runFinished() {
        lastFinished.store(now(), ordering: .relaxed)
        armUnlessPending()
    }

    /// Starts a quiet spell's check, unless one is scheduled already.
    private func armUnlessPending() {
        if pending.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged {
            schedule(after: quiet)
        }
    }

    private func schedule(after delay: Duration) {
        _ = EventLoopTimer(after: delay) { [self] in check() }
    }

    /// On the timer: trims when the runs have been quiet for `quiet`, else waits for the rest.
    private func check() {
        let idle = Duration.nanoseconds(now() - lastFinished.load(ordering: .relaxed))
        if idle < quiet {
            schedule(after: quiet - idle)
            return
        }
        pending.store(false, ordering: .releasing)
        // A run that finished since the check above found `pending` still set: its own quiet
        // spell starts now.
        if Duration.nanoseconds(now() - lastFinished.load(ordering: .relaxed)) < quiet { armUnlessPending() }
        let trim = self.trim
        // Off the event loops: it walks every arena.
        NIOThreadPool.singleton.submit { state in
            if state == .active { trim() }
        }
    }

    /// `malloc_trim(0)` where the C library has it (glibc).
    private static let mallocTrim: @Sendable () -> Void = {
        _ = cMallocTrim?(0)
    }

    /// glibc's `malloc_trim`, looked up at run time: `<malloc.h>` is not part of the Glibc module.
    static let cMallocTrim: (@convention(c) (Int) -> Int32)? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        #else
        return nil
        #endif
    }()
}
