import NIOCore
import NIOPosix

@main
enum Entry {
    static func main() async {
        // Swift Concurrency runs its tasks on NIO's event loops instead of a separate thread
        // pool: no thread hop between a socket read and the task that awaits it, on every read,
        // write and upstream chunk of every request. Nothing in the process blocks a task (GRDB
        // uses its own queues; the local model is spawned from its own thread).
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        await OpenClawCommand.main()
    }
}
