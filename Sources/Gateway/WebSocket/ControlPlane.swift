import AgentRuntime
import Foundation
import GatewayConfig
import GatewayProtocol
import HTTPTypes
import HummingbirdWebSocket
import NIOHTTP1
import NIOWebSocket
import Logging
import NIOCore
import OpenAIWire
import ServiceLifecycle
import SessionStore
import Synchronization

/// The WebSocket control plane (A3, R1–R6, D-7): state shared by every connection, and the
/// `Service` that runs the agent runs its clients start.
///
/// Runs started over WebSocket outlive the request that started them (a client may leave and
/// another may `agent.wait` for the run), so they are children of this service's task group,
/// not of a connection. The service goes after the HTTP server in the `ServiceGroup`, so on
/// graceful shutdown it stops first: it sends every client a `shutdown` event, cancels the
/// runs (their clients get the aborted/error frames), closes the sockets with 1012, and only
/// then lets the HTTP server drain.
final class ControlPlane: Service, Sendable {
    struct Settings: Sendable {
        var tickInterval: Duration = ControlProtocol.defaultTickInterval
        /// A socket that has not completed `connect` by then is closed (1008).
        var handshakeTimeout: Duration = .seconds(10)
        /// How long a closing socket may take to answer our close frame before it is dropped.
        var closeGrace: Duration = .seconds(2)
        /// Outgoing bytes a client may leave unread before its socket is closed (1008 "slow
        /// consumer"); `policy.maxBufferedBytes` of `hello-ok`.
        var maxBufferedBytes = ControlProtocol.maxBufferedBytes
        /// Sockets one client IP may hold open before `connect` succeeds (A3).
        var maxPreAuthSocketsPerIP = PreAuthBudget.defaultPerIP
    }

    typealias Job = @Sendable () async -> Void

    static let serverVersion = "0.1.0"

    let runtime: AgentRuntime
    let store: any SessionStore
    let authenticator: Authenticator
    let runs: RunRegistry
    let config: OpenClawConfig
    let settings: Settings
    let logger: Logger
    let startedAt = Date()
    let idempotency = IdempotencyCache()
    let preAuth: PreAuthBudget

    private let connections = Mutex<[String: Outbox]>([:])
    private let jobs: AsyncStream<Job>
    private let jobContinuation: AsyncStream<Job>.Continuation

    init(
        runtime: AgentRuntime, store: any SessionStore, authenticator: Authenticator, runs: RunRegistry,
        config: OpenClawConfig, settings: Settings, logger: Logger
    ) {
        self.runtime = runtime
        self.store = store
        self.authenticator = authenticator
        self.runs = runs
        self.config = config
        self.settings = settings
        self.logger = logger
        self.preAuth = PreAuthBudget(perIP: settings.maxPreAuthSocketsPerIP)
        (jobs, jobContinuation) = AsyncStream.makeStream(of: Job.self)
    }

    /// Starts a run in the service's task group. False once the gateway is shutting down.
    func submit(_ job: @escaping Job) -> Bool {
        if case .enqueued = jobContinuation.yield(job) { return true }
        return false
    }

    func run() async throws {
        await withDiscardingTaskGroup { group in
            for await job in jobs.cancelOnGracefulShutdown() {
                group.addTask { await job() }
            }
            jobContinuation.finish()
            let open = connections.withLock { Array($0.values) }
            logger.info("control plane stopping", metadata: ["ws.connections": "\(open.count)"])
            for outbox in open {
                outbox.event("shutdown", .object(["reason": .string("gateway stopping")]))
            }
            // D-10: in-flight WebSocket runs are aborted; their clients still get the final frames.
            group.cancelAll()
        }
        let open = connections.withLock { Array($0.values) }
        for outbox in open { outbox.close(.unknown(1012), reason: "service restart") }
        // Give the writers a moment to put the last frames on the wire.
        let deadline = ContinuousClock.now + .seconds(1)
        while ContinuousClock.now < deadline, open.contains(where: { $0.pending > 0 }) {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    func register(_ connId: String, _ outbox: Outbox) {
        connections.withLock { $0[connId] = outbox }
    }

    func unregister(_ connId: String) {
        _ = connections.withLock { $0.removeValue(forKey: connId) }
    }

    var connectionCount: Int { connections.withLock { $0.count } }

    /// The upgrade decision for `.http1WebSocketUpgrade` (A3): an upgrade request is accepted
    /// whatever its path, unless its client IP already holds its budget of unauthenticated
    /// sockets; authentication happens in `connect`.
    func shouldUpgrade(
        _ head: HTTPRequest, channel: any Channel, logger: Logger
    ) -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        let peer = channel.remoteAddress?.ipAddress.map(ClientAddress.canonical) ?? ""
        let clientIP = authenticator.clientIP(peer: peer, forwardedFor: head.headerFields[values: .forwardedFor])
        guard let slot = preAuth.claim(clientIP) else {
            logger.info("websocket upgrade refused: pre-auth socket budget", metadata: ["ws.client.ip": "\(clientIP)"])
            Self.refuse(channel, status: .serviceUnavailable, "Too many unauthenticated sockets")
            return .dontUpgrade
        }
        channel.closeFuture.whenComplete { _ in slot.release() }
        let connection = ControlConnection(plane: self, channel: channel, clientIP: clientIP, preAuthSlot: slot)
        // The sync `shouldUpgrade` runs on the channel's event loop, before the 101 is sent.
        do {
            try connection.guardPreConnectBytes(logger: logger)
        } catch {
            logger.warning("websocket upgrade refused: pre-connect guard", metadata: ["error": "\(error)"])
            return .dontUpgrade
        }
        return .upgrade([:]) { inbound, outbound, context in
            try await connection.run(inbound: inbound, outbound: outbound, logger: context.logger)
        }
    }
}

extension ControlPlane {
    /// Answers a refused upgrade with a raw plain-text response and closes the socket (A3).
    /// hummingbird-websocket's own answer to `.dontUpgrade` is an empty 400; it finds the
    /// socket closed and writes nothing. Call on the channel's event loop, from `shouldUpgrade`,
    /// while the HTTP/1 response encoder is still in the pipeline.
    static func refuse(_ channel: any Channel, status: HTTPResponseStatus, _ text: String) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: "\(text.utf8.count)")
        headers.add(name: "Connection", value: "close")
        _ = channel.write(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)))
        _ = channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: text))))
        channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { _ in channel.close(promise: nil) }
    }
}

/// Idempotency keys of side-effecting methods (R5): a retry with the same key gets the first
/// attempt's run instead of starting another.
final class IdempotencyCache: Sendable {
    struct Entry: Sendable {
        var runId: String
        var acceptedAt: Int
    }

    static let limit = 5000
    private let state = Mutex<(entries: [String: Entry], order: [String])>(([:], []))

    /// Records `entry` under `key`, or returns the entry a previous attempt recorded.
    func claim(_ key: String, _ entry: Entry) -> Entry? {
        state.withLock { s in
            if let existing = s.entries[key] { return existing }
            s.entries[key] = entry
            s.order.append(key)
            if s.order.count > Self.limit { s.entries[s.order.removeFirst()] = nil }
            return nil
        }
    }
}
