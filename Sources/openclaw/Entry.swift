#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOPosix

@main
enum Entry {
    static func main() async {
        // Swift Concurrency runs its tasks on NIO's event loops instead of a separate thread
        // pool: no thread hop between a socket read and the task that awaits it, on every read,
        // write and upstream chunk of every request. Nothing in the process blocks a task (GRDB
        // uses its own queues; the local model is spawned from its own thread).
        // `OPENCLAW_NIO_EXECUTOR=0` keeps the default executor.
        if let value = getenv("OPENCLAW_NIO_EXECUTOR"), String(cString: value) == "0" {
        } else {
            _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        }
        await OpenClawCommand.main()
    }
}
