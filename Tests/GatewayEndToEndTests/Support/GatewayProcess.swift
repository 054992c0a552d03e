import Foundation
import OpenAIWire
import Synchronization

/// The real `openclaw` binary run as a child process, as a user runs it.
final class GatewayProcess: Sendable {
    let process: Process
    let stateDir: URL
    private let ownsStateDir: Bool
    private let output = CapturedOutput()

    /// What the child wrote, filled from pipe callbacks.
    private final class CapturedOutput: Sendable {
        let lines = Mutex<[String]>([])
        let partial = Mutex("")
        let errors = Mutex("")
    }

    static var binary: String {
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("openclaw").path
        if FileManager.default.isExecutableFile(atPath: besideTests) { return besideTests }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/openclaw").path
    }

    /// Starts `openclaw <arguments>` with a fresh state dir and `config` written into it.
    /// Pass `stateDir` to reuse another run's state (it is then not deleted by this one).
    init(_ arguments: [String], config: String?, environment: [String: String] = [:], stateDir: URL? = nil) throws {
        ownsStateDir = stateDir == nil
        self.stateDir =
            stateDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("openclaw-proc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.stateDir, withIntermediateDirectories: true)
        var args = arguments + ["--state-dir", self.stateDir.path]
        if let config {
            let path = self.stateDir.appendingPathComponent("test-config.json5")
            try Data(config.utf8).write(to: path)
            args += ["--config", path.path]
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["OPENCLAW_GATEWAY_TOKEN"] = nil
        env["OPENCLAW_GATEWAY_PASSWORD"] = nil
        env["OPENCLAW_CONFIG_PATH"] = nil
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let captured = output
        out.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil; return }
            captured.partial.withLock { buffer in
                buffer += String(decoding: data, as: UTF8.self)
                while let newline = buffer.firstIndex(of: "\n") {
                    let line = String(buffer[..<newline])
                    buffer = String(buffer[buffer.index(after: newline)...])
                    captured.lines.withLock { $0.append(line) }
                }
            }
        }
        err.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil; return }
            captured.errors.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        if ownsStateDir { try? FileManager.default.removeItem(at: stateDir) }
    }

    var stdout: [String] { output.lines.withLock { $0 } }
    var stderr: String { output.errors.withLock { $0 } }
    var pid: Int32 { process.processIdentifier }

    /// The port from the `listening on http://127.0.0.1:PORT` line, once printed.
    func waitForListening(timeout: Duration = .seconds(30)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let line = stdout.first(where: { $0.hasPrefix("listening on http://") }),
                let port = line.split(separator: ":").last.flatMap({ Int($0) })
            {
                return port
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ProcessTestError("gateway did not print its address; stderr:\n\(stderr)")
    }

    /// Waits for exit and returns the status, or nil after `timeout`.
    func waitForExit(timeout: Duration = .seconds(20)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return process.isRunning ? nil : process.terminationStatus
    }

    func signal(_ signal: Int32) { kill(pid, signal) }

    /// Pids of this process's children named `name` (from /proc).
    func children(named name: String) -> [Int32] {
        ProcFS.children(of: pid, named: name)
    }
}

enum ProcFS {
    static func children(of parent: Int32, named name: String) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
            else { return false }
            let comm = stat[stat.index(after: open)..<close]
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            return comm == name && fields.count > 1 && Int32(fields[1]) == parent
        }
    }

    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        // A zombie (state Z) has exited.
        guard let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }
}

struct ProcessTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
