import NIOPosix
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Gives the heap memory a burst of runs freed back to the system once the gateway is quiet.
///
/// glibc's allocator keeps what was freed: after 2,000 concurrent streams the gateway's RSS
/// stayed at ~205 MiB with nothing running, although less than 20 MiB of it was in use (the
/// rest free chunks in the event loops' arenas). `malloc_trim` returns the free pages. It runs
/// `quiet` after the last run finished, and once more `settle` later (when AsyncHTTPClient has
/// closed the burst's idle upstream connections, whose memory is freed only then), unless runs
/// resumed meanwhile; never while runs keep finishing. Measured (issue 6): 205 → 114 MiB at the
/// first trim, → 52 MiB after the second.
final class IdleMemoryTrimmer: Service, Sendable {
    private let quiet: Duration
    private let settle: Duration
    private let trim: @Sendable () async -> Void
    private let finished = Atomic<Int>(0)
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    /// - Parameters:
    ///   - quiet: how long no run may finish before the first trim.
    ///   - settle: how long after the first trim the second one comes.
    ///   - trim: the trim (tests count calls); by default `malloc_trim(0)` on NIO's thread pool.
    init(quiet: Duration = .seconds(2), settle: Duration, trim: (@Sendable () async -> Void)? = nil) {
        self.quiet = quiet
        self.settle = settle
        self.trim = trim ?? Self.mallocTrim
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// A run finished. Cheap: a counter and, when the trimmer sleeps, one wake-up per burst.
    func runFinished() {
        finished.add(1, ordering: .relaxed)
        wake.yield()
    }

    func run() async throws {
        await cancelWhenGracefulShutdown { [self] in
            var trimmedAt = 0
            for await _ in wakeups {
                guard finished.load(ordering: .relaxed) != trimmedAt else { continue }
                guard await sleepUntilQuiet(), !Task.isCancelled else { return }
                trimmedAt = finished.load(ordering: .relaxed)
                await trim()
                // Again once the burst's idle upstream connections are gone, if nothing ran since.
                guard (try? await Task.sleep(for: settle)) != nil else { return }
                if finished.load(ordering: .relaxed) == trimmedAt { await trim() }
            }
        }
    }

    /// Sleeps until no run finished for `quiet`. False when cancelled.
    private func sleepUntilQuiet() async -> Bool {
        while true {
            let seen = finished.load(ordering: .relaxed)
            guard (try? await Task.sleep(for: quiet)) != nil else { return false }
            if finished.load(ordering: .relaxed) == seen { return true }
        }
    }

    /// `malloc_trim(0)` where the C library has it (glibc), off the event loops and the
    /// cooperative pool (it walks every arena).
    private static let mallocTrim: @Sendable () async -> Void = {
        guard let trim = cMallocTrim else { return }
        _ = try? await NIOThreadPool.singleton.runIfActive { trim(0) }
    }

    /// glibc's `malloc_trim`, looked up at run time: `<malloc.h>` is not part of the Glibc module.
    private static let cMallocTrim: (@convention(c) (Int) -> Int32)? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        #else
        return nil
        #endif
    }()
}
