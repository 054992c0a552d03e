import Foundation
import Logging
import Synchronization

/// One running `llama-server` child.
///
/// The child is started from a dedicated thread that lives exactly as long as the child, and
/// through `setpriv --pdeathsig SIGKILL` when available, so the kernel kills it if the
/// gateway dies without a chance to stop it (Linux delivers the signal when the spawning
/// thread exits). A graceful stop sends SIGTERM, then SIGKILL after a grace period.
final class LocalModelProcess: Sendable {
    let pid: Int32
    private let exit: ExitSignal

    private init(pid: Int32, exit: ExitSignal) {
        self.pid = pid
        self.exit = exit
    }

    /// Starts `binary` with `arguments`; its stderr and stdout lines go to `logger` at debug.
    static func launch(binary: String, arguments: [String], logger: Logger) async throws -> LocalModelProcess {
        let exit = ExitSignal()
        let outputDone = DispatchSemaphore(value: 0)
        let output = Pipe()
        let lineLogger = LineLogger(logger: logger)
        let setpriv = "/usr/bin/setpriv"
        let usePdeathsig = FileManager.default.isExecutableFile(atPath: setpriv)
        let pid: Int32 = try await withCheckedThrowingContinuation { started in
            let thread = Thread {
                let process = Process()
                if usePdeathsig {
                    process.executableURL = URL(fileURLWithPath: setpriv)
                    process.arguments = ["--pdeathsig", "SIGKILL", "--", binary] + arguments
                } else {
                    process.executableURL = URL(fileURLWithPath: binary)
                    process.arguments = arguments
                }
                process.standardOutput = output
                process.standardError = output
                process.standardInput = FileHandle.nullDevice
                do {
                    try process.run()
                } catch {
                    started.resume(throwing: error)
                    return
                }
                started.resume(returning: process.processIdentifier)
                // The child's output is read by blocking reads on a thread of its own until EOF
                // (the child exited; `run()` closed our copy of the write end), not by a dispatch
                // read source: one still registered when the gateway exits right after its child
                // can crash libdispatch.
                let reader = Thread {
                    let handle = output.fileHandleForReading
                    while let data = try? handle.read(upToCount: 4096), !data.isEmpty {
                        lineLogger.feed(data)
                    }
                    try? handle.close()
                    outputDone.signal()
                }
                reader.name = "llama-server-output"
                reader.start()
                // This thread is the child's parent for pdeathsig: it stays until the child exits.
                process.waitUntilExit()
                _ = outputDone.wait(timeout: .now() + 5)
                exit.fire(process.terminationStatus)
            }
            thread.name = "llama-server-supervisor"
            thread.start()
        }
        return LocalModelProcess(pid: pid, exit: exit)
    }

    /// The exit status once the child has exited.
    var exitStatus: Int32? { exit.status }

    /// Waits for the child to exit; nil when the waiting task is cancelled first.
    func waitForExit() async -> Int32? { await exit.wait() }

    /// SIGTERM, then SIGKILL if it is still running after `grace` (llama-server is stateless). Call from a task that is
    /// not cancelled (the grace period is a sleep).
    func stop(grace: Duration = .seconds(2)) async {
        guard exitStatus == nil else { return }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while exitStatus == nil, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        guard exitStatus == nil else { return }
        kill(pid, SIGKILL)
        let hardDeadline = ContinuousClock.now + .seconds(5)
        while exitStatus == nil, ContinuousClock.now < hardDeadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// A one-shot exit notification with cancellable waiters.
private final class ExitSignal: Sendable {
    private struct State {
        var status: Int32?
        var waiters: [UInt64: CheckedContinuation<Int32?, Never>] = [:]
        var nextId: UInt64 = 0
    }
    private let state = Mutex(State())

    var status: Int32? { state.withLock { $0.status } }

    func fire(_ status: Int32) {
        let waiters = state.withLock { s in
            s.status = status
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: status) }
    }

    func wait() async -> Int32? {
        let id = state.withLock { s in
            s.nextId += 1
            return s.nextId
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int32?, Never>) in
                let immediate: Int32?? = state.withLock { s in
                    if let status = s.status { return .some(status) }
                    if Task.isCancelled { return .some(nil) }
                    s.waiters[id] = continuation
                    return nil
                }
                if let result = immediate { continuation.resume(returning: result) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(returning: nil)
        }
    }
}

/// Splits a byte stream into lines for the log.
private final class LineLogger: Sendable {
    private let logger: Logger
    private let pending = Mutex(Data())

    init(logger: Logger) { self.logger = logger }

    func feed(_ data: Data) {
        let lines: [String] = pending.withLock { buffer in
            buffer.append(data)
            var out: [String] = []
            while let newline = buffer.firstIndex(of: 0x0A) {
                out.append(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                buffer.removeSubrange(buffer.startIndex...newline)
            }
            return out
        }
        for line in lines where !line.isEmpty {
            logger.debug("\(line)", metadata: ["source": "llama-server"])
        }
    }
}
