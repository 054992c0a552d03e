import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Settings of the embedded `local` provider (V3, `models.providers.local`).
public struct LocalModelSettings: Sendable, Equatable {
    public static let defaultModelId = "smollm2-135m-instruct"
    public static let llamaVersion = "b11434"
    public static let modelFile = "SmolLM2-135M-Instruct.Q4_1.gguf"
    public static let installCommand = "make setup (or scripts/setup-local-model.sh)"

    public var binary: String
    public var modelPath: String
    public var contextSize: Int
    public var threads: Int?
    /// Completion cap when the client sets none: the small default model would otherwise
    /// ramble until its context is full.
    public var defaultMaxTokens: Int = 512
    /// How long to wait for `/health` after a start.
    public var startTimeout: Duration

    public init(binary: String, modelPath: String, contextSize: Int = 4096, threads: Int? = nil,
                startTimeout: Duration = .seconds(120)) {
        self.binary = binary
        self.modelPath = modelPath
        self.contextSize = contextSize
        self.threads = threads
        self.startTimeout = startTimeout
    }

    /// Defaults under the state directory, where the setup script installs them.
    public static func defaults(stateDir: String) -> LocalModelSettings {
        LocalModelSettings(
            binary: "\(stateDir)/runtime/llama.cpp/\(llamaVersion)/bin/llama-server",
            modelPath: "\(stateDir)/models/\(modelFile)")
    }

    /// The one-line reason the local model cannot start, or nil when binary and model exist.
    public func missingFilesReason() -> String? {
        let fm = FileManager.default
        if !fm.isExecutableFile(atPath: binary) {
            return "llama-server not found at \(binary); install it with \(Self.installCommand)"
        }
        if !fm.isReadableFile(atPath: modelPath) {
            return "local model not found at \(modelPath); install it with \(Self.installCommand)"
        }
        return nil
    }
}

/// Keeps one `llama-server` running on a private loopback port for the `local` provider:
/// starts it, waits for `/health`, restarts it with backoff when it dies, and stops it on
/// graceful shutdown.
public final class LocalModelSupervisor: Service, Sendable {
    private enum State {
        case starting
        case ready(port: Int, pid: Int32)
        case failed(String)
        case stopped
    }

    let settings: LocalModelSettings
    let clients: UpstreamClients
    let logger: Logger
    private let state = Mutex<State>(.starting)

    public init(settings: LocalModelSettings, clients: UpstreamClients, logger: Logger) {
        self.settings = settings
        self.clients = clients
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var backoff: Duration = .milliseconds(250)
            while !Task.isCancelled {
                do {
                    try await self.runOnce()
                    backoff = .milliseconds(250)
                } catch is CancellationError {
                    break
                } catch {
                    self.logger.warning("local model server failed", metadata: ["error": "\(error)"])
                    self.state.withLock { $0 = .failed("\(error)") }
                }
                guard !Task.isCancelled else { break }
                self.logger.info("restarting local model server", metadata: ["backoff": "\(backoff)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(30))
            }
        }
        state.withLock { $0 = .stopped }
    }

    /// One child lifetime: start, wait healthy, serve until it exits or we are cancelled.
    private func runOnce() async throws {
        state.withLock { $0 = .starting }
        let port = try Self.freeLoopbackPort()
        var arguments = [
            "-m", settings.modelPath, "--host", "127.0.0.1", "--port", String(port),
            "-c", String(settings.contextSize), "-a", LocalModelSettings.defaultModelId, "--no-webui",
        ]
        if let threads = settings.threads { arguments += ["-t", String(threads)] }
        let process = try await LocalModelProcess.launch(binary: settings.binary, arguments: arguments, logger: logger)
        logger.info("local model server starting", metadata: ["pid": "\(process.pid)", "port": "\(port)"])
        do {
            try await waitHealthy(port: port, process: process)
            state.withLock { $0 = .ready(port: port, pid: process.pid) }
            logger.info("local model server ready", metadata: ["pid": "\(process.pid)", "port": "\(port)"])
            guard let status = await process.waitForExit() else { throw CancellationError() }
            state.withLock { $0 = .starting }
            throw ProviderError(
                kind: .unavailable, provider: "local", message: "llama-server exited with status \(status)")
        } catch {
            state.withLock { s in
                if case .ready = s { s = .starting }
            }
            // Not cancellable: a shutdown must still give the child its SIGTERM grace period.
            await Task { await process.stop() }.value
            throw error
        }
    }

    private func waitHealthy(port: Int, process: LocalModelProcess) async throws {
        let deadline = ContinuousClock.now + settings.startTimeout
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                guard let status = await process.waitForExit() else { return }
                throw ProviderError(
                    kind: .unavailable, provider: "local",
                    message: "llama-server exited with status \(status) while starting")
            }
            group.addTask {
                while ContinuousClock.now < deadline {
                    try Task.checkCancellation()
                    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/health")
                    request.method = .GET
                    if let response = try? await self.clients.current.execute(request, timeout: .seconds(2)) {
                        _ = try? await response.body.collect(upTo: 4096)
                        if response.status.code == 200 { return }
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
                throw ProviderError(kind: .timeout, provider: "local", message: "llama-server did not become ready")
            }
            defer { group.cancelAll() }
            try await group.next()
            try Task.checkCancellation()
        }
    }

    /// The port of a ready server, waiting up to `timeout` for a start or restart.
    public func readyPort(timeout: Duration = .seconds(120)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while true {
            let current = state.withLock { $0 }
            switch current {
            case .ready(let port, _): return port
            case .stopped:
                throw ProviderError(kind: .unavailable, provider: "local", message: "the local model server is stopped")
            case .starting, .failed:
                if ContinuousClock.now >= deadline {
                    if case .failed(let reason) = current {
                        throw ProviderError(kind: .unavailable, provider: "local", message: reason)
                    }
                    throw ProviderError(kind: .timeout, provider: "local", message: "the local model is still starting")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// Marks the server as not ready when a call found it gone, so callers wait for the restart.
    func reportUnreachable(port: Int) {
        state.withLock { s in
            if case .ready(let p, _) = s, p == port { s = .starting }
        }
    }

    /// A free TCP port on 127.0.0.1 (bound and released; llama-server binds it right after).
    static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
