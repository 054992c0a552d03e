import Foundation
import NIOPosix
import OpenAIWire
import Subprocess
import Synchronization
import SystemPackage

/// `exec {command, timeout_seconds?}` (V5): runs `bash -c command` in the workspace.
///
/// The command gets its own session (so its own process group); stdout and stderr are captured
/// together up to `maxOutputBytes` (the rest is counted and dropped). On timeout, on run
/// cancellation (a client that went away), and as soon as the shell itself has exited, the
/// whole process group is killed, so no process the command started outlives the call.
struct ExecTool: AgentTool {
    let name = "exec"
    let description =
        "Run a shell command (bash -c) in the workspace directory. Returns its combined stdout/stderr and exit status."
    let ownerOnly = true
    var defaultTimeoutSeconds = 60
    var maxTimeoutSeconds = 600
    var maxOutputBytes = 64 * 1024

    var parameters: JSONValue {
        Schema.object(
            [
                "command": Schema.string("The shell command to run."),
                "timeout_seconds": Schema.integer(
                    "Seconds before the command is killed (default \(defaultTimeoutSeconds), at most \(maxTimeoutSeconds))."),
            ], required: ["command"])
    }

    enum Outcome: Sendable {
        case exited(TerminationStatus)
        case timedOut
    }

    func run(_ arguments: ToolArguments, context: ToolContext) async throws -> String {
        let command = try arguments.string("command")
        guard !command.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ToolFailure("command must not be empty")
        }
        let timeout = try arguments.optionalInt("timeout_seconds", in: 1...maxTimeoutSeconds) ?? defaultTimeoutSeconds
        // Creating and resolving the workspace are filesystem calls: off the event loop.
        let root = try await NIOThreadPool.singleton.runIfActive { try context.workspace.realRoot() }
        let output = OutputCollector(cap: maxOutputBytes)
        let group = ProcessGroup()
        defer { group.kill() }

        var options = PlatformOptions()
        options.createSession = true
        options.teardownSequence = [
            .send(signal: .kill, toProcessGroup: true, allowedDurationToNextStep: .seconds(1))
        ]
        let platformOptions = options
        let environment = Environment.inherit.updating([
            "PWD": root, "OPENCLAW_WORKSPACE": root,
            // The gateway's own secrets are not the command's business.
            "OPENCLAW_GATEWAY_TOKEN": nil, "OPENCLAW_GATEWAY_PASSWORD": nil,
        ])
        let outcome: Outcome = try await withThrowingTaskGroup(of: Outcome?.self) { tasks in
            tasks.addTask {
                let result = try await Subprocess.run(
                    .path("/bin/bash"), arguments: ["-c", command],
                    environment: environment, workingDirectory: FilePath(root), platformOptions: platformOptions, input: .none, output: .sequence,
                    error: .combinedWithOutput
                ) { execution in
                    group.set(execution.processIdentifier)
                    for try await buffer in execution.standardOutput {
                        buffer.withUnsafeBytes { output.append($0) }
                    }
                }
                return .exited(result.terminationStatus)
            }
            tasks.addTask {
                // When the shell has exited, give its output a moment to drain, then kill what
                // it left behind (a background job holding the pipe open would block us).
                while !Task.isCancelled {
                    try await Task.sleep(for: .milliseconds(50))
                    if group.leaderExited() {
                        try await Task.sleep(for: .milliseconds(200))
                        group.kill()
                        return nil
                    }
                }
                return nil
            }
            tasks.addTask {
                try await Task.sleep(for: .seconds(timeout))
                group.kill()
                return .timedOut
            }
            defer { tasks.cancelAll() }
            while let next = try await tasks.next() {
                if let outcome = next { return outcome }
            }
            throw CancellationError()
        }
        try Task.checkCancellation()
        var text = output.text
        if output.dropped > 0 {
            text += "\n[output truncated: \(output.dropped) more bytes not shown]"
        }
        switch outcome {
        case .timedOut:
            return text + "\n[killed: the command did not finish within \(timeout) s]"
        case .exited(let status):
            let trailer: String
            switch status {
            case .exited(let code): trailer = "[exit status \(code)]"
            case .signaled(let signal): trailer = "[killed by signal \(signal)]"
            }
            return text.isEmpty ? trailer : text + (text.hasSuffix("\n") ? "" : "\n") + trailer
        }
    }
}

/// The process group of one `exec` call (its leader is the shell, started in a new session).
final class ProcessGroup: Sendable {
    private let identifier = Mutex<ProcessIdentifier?>(nil)

    func set(_ id: ProcessIdentifier) { identifier.withLock { $0 = id } }

    /// Sends SIGKILL to every process of the group (harmless when it is already gone).
    func kill() {
        guard let id = identifier.withLock({ $0 }) else { return }
        _ = Foundation.kill(-id.value, SIGKILL)
    }

    /// Whether the shell has exited (its pidfd became readable).
    func leaderExited() -> Bool {
        guard let id = identifier.withLock({ $0 }) else { return false }
        guard id.processDescriptor >= 0 else { return Foundation.kill(id.value, 0) != 0 }
        var fd = pollfd(fd: id.processDescriptor, events: Int16(POLLIN), revents: 0)
        return poll(&fd, 1, 0) > 0
    }
}

/// Keeps the first `cap` bytes of a command's output and counts the rest.
final class OutputCollector: Sendable {
    private struct State {
        var bytes: [UInt8] = []
        var dropped = 0
    }
    private let state = Mutex(State())
    let cap: Int

    init(cap: Int) { self.cap = cap }

    func append(_ raw: UnsafeRawBufferPointer) {
        state.withLock { s in
            let room = max(0, cap - s.bytes.count)
            s.bytes.append(contentsOf: raw.prefix(room))
            s.dropped += max(0, raw.count - room)
        }
    }

    var text: String { state.withLock { String(decoding: $0.bytes, as: UTF8.self) } }
    var dropped: Int { state.withLock { $0.dropped } }
}
