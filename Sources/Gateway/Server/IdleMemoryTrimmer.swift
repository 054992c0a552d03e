import NIOCore
import NIOPosix
import ServiceLifecycle
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
/// once no run has finished for `quiet` — by default a little longer than AsyncHTTPClient keeps
/// idle upstream connections, whose memory is freed only when they close — and never while
/// runs keep coming: memory given back is faulted in again by the next burst (in one
/// `make bench` run with a 2 s quiet time, the 2,000-stream phase, started on a trimmed heap,
/// had 103 stalls where this session's other runs had 0–7). Measured (issue 6): 205 → 52 MiB.
final class IdleMemoryTrimmer: Service, Sendable {
    private let quiet: Int64
    private let trim: @Sendable () async -> Void
    /// When the last run finished (`NIODeadline` uptime, ns); 0 before the first.
    private let lastFinished = Atomic<Int64>(0)
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    /// - Parameters:
    ///   - quiet: how long no run may finish before the trim.
    ///   - trim: the trim (tests count calls); by default `malloc_trim(0)` on NIO's thread pool.
    init(quiet: Duration, trim: (@Sendable () async -> Void)? = nil) {
        self.quiet = Int64(quiet.components.seconds) * 1_000_000_000 + quiet.components.attoseconds / 1_000_000_000
        self.trim = trim ?? Self.mallocTrim
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// A run finished. Cheap: a clock read, a store and, when the trimmer waits for work, one
    /// wake-up.
    func runFinished() {
        lastFinished.store(Self.now, ordering: .relaxed)
        wake.yield()
    }

    func run() async throws {
        await cancelWhenGracefulShutdown { [self] in
            var trimmedAfter: Int64 = 0
            for await _ in wakeups {
                guard lastFinished.load(ordering: .relaxed) != trimmedAfter else { continue }
                guard await sleepUntilQuiet(), !Task.isCancelled else { return }
                trimmedAfter = lastFinished.load(ordering: .relaxed)
                await trim()
            }
        }
    }

    /// Sleeps until no run has finished for `quiet`. False when cancelled.
    private func sleepUntilQuiet() async -> Bool {
        while true {
            let idle = Self.now - lastFinished.load(ordering: .relaxed)
            if idle >= quiet { return true }
            guard (try? await Task.sleep(for: .nanoseconds(quiet - idle))) != nil else { return false }
        }
    }

    private static var now: Int64 { Int64(NIODeadline.now().uptimeNanoseconds) }

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
