import Foundation
import GatewayProtocol
import HummingbirdWSClient
import Logging
import NIOCore
import NIOWebSocket
import OpenAIWire
import Synchronization

/// How the server closed the socket.
public struct CloseInfo: Sendable, Equatable, CustomStringConvertible {
    /// The close code (1000 normal, 1002 protocol error, 1008 policy, 1009 too large, 1012 restart).
    public var code: Int?
    public var reason: String?

    public init(code: Int? = nil, reason: String? = nil) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "close \(code.map(String.init) ?? "-") \(reason ?? "")" }
}

/// A client error: a timeout, or the socket closed while waiting.
public struct GatewayClientError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A WebSocket connection to a gateway's control plane (R1), used by `openclaw agent --url`
/// and the tests.
///
/// Every frame received is kept in arrival order; `next(where:)` takes the first one not yet
/// taken that matches, waiting for it if needed, so callers can wait for a response and later
/// look at the events that arrived meanwhile.
public final class GatewayConnection: Sendable {
    private enum Outgoing: Sendable {
        case text(String)
        case close(code: Int)
    }

    private struct State {
        var received: [(frame: Frame?, text: String)] = []
        var taken: Set<Int> = []
        var closed: CloseInfo?
        var isClosed = false
        var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
        var cancelled: Set<UUID> = []
        /// Bumped on every arrival and on close, so a waiter never misses a change that
        /// happened between its last look and its registration.
        var version = 0

        mutating func takeWaiters() -> [CheckedContinuation<Void, Never>] {
            version += 1
            defer { waiters = [:] }
            return Array(waiters.values)
        }
    }

    private let outgoing: AsyncStream<Outgoing>.Continuation
    private let state = Mutex(State())

    private init(outgoing: AsyncStream<Outgoing>.Continuation) {
        self.outgoing = outgoing
    }

    /// Opens a socket to `url` (`ws://host:port`), runs `body`, then closes the socket.
    /// - Returns: `body`'s result.
    public static func with<T: Sendable>(
        url: String, logger: Logger = Logger(label: "openclaw.ws-client"),
        _ body: @Sendable (GatewayConnection) async throws -> T
    ) async throws -> T {
        let (outStream, outContinuation) = AsyncStream.makeStream(of: Outgoing.self)
        let connection = GatewayConnection(outgoing: outContinuation)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var closeInfo: CloseInfo?
                do {
                    let frame = try await WebSocketClient.connect(
                        url: url, configuration: .init(maxFrameSize: ControlProtocol.maxPayload), logger: logger
                    ) { inbound, outbound, _ in
                        try await withThrowingTaskGroup(of: Void.self) { socket in
                            socket.addTask {
                                for try await message in inbound.messages(maxSize: .max) {
                                    switch message {
                                    case .text(let text): connection.receive(text)
                                    case .binary(let buffer): connection.receive(String(buffer: buffer))
                                    }
                                }
                            }
                            socket.addTask {
                                for await item in outStream {
                                    switch item {
                                    case .text(let text): try await outbound.writeTextMessage(text)
                                    case .close(let code):
                                        try await outbound.close(WebSocketErrorCode(codeNumber: code), reason: nil)
                                    }
                                }
                            }
                            // Whichever side ends first (server closed, or the caller is done) ends the socket.
                            _ = try await socket.next()
                            socket.cancelAll()
                        }
                    }
                    closeInfo = CloseInfo(code: frame.map { Int(UInt16(webSocketErrorCode: $0.closeCode)) }, reason: frame?.reason)
                } catch {
                    closeInfo = CloseInfo(code: nil, reason: "\(error)")
                }
                connection.closed(closeInfo)
            }
            do {
                let result = try await body(connection)
                outContinuation.finish()
                try await group.waitForAll()
                return result
            } catch {
                outContinuation.finish()
                group.cancelAll()
                throw error
            }
        }
    }

    // MARK: - Sending

    /// Sends raw text as one text frame (tests use it for malformed frames).
    public func sendRaw(_ text: String) {
        outgoing.yield(.text(text))
    }

    public func send(_ frame: Frame) {
        sendRaw(frame.text)
    }

    /// Sends a request; returns its id.
    @discardableResult
    public func request(_ method: String, _ params: JSONValue? = nil, id: String = UUID().uuidString.lowercased()) -> String {
        send(.request(RequestFrame(id: id, method: method, params: params)))
        return id
    }

    /// Sends a request and waits for its first response.
    public func call(_ method: String, _ params: JSONValue? = nil, timeout: Duration = .seconds(10)) async throws
        -> ResponseFrame
    {
        let id = request(method, params)
        return try await response(id, timeout: timeout)
    }

    /// Sends a close frame with `code`.
    public func close(code: Int = 1000) {
        outgoing.yield(.close(code: code))
    }

    /// `connect` params for protocol 3 with a shared secret.
    public static func connectParams(
        token: String?, minProtocol: Int = ControlProtocol.version, maxProtocol: Int = ControlProtocol.version,
        clientId: String = "openclaw-swift-client", mode: String = "cli"
    ) -> JSONValue {
        var params: [String: JSONValue] = [
            "minProtocol": .number(Double(minProtocol)), "maxProtocol": .number(Double(maxProtocol)),
            "client": .object([
                "id": .string(clientId), "version": .string("0.1.0"), "platform": .string(Self.platform),
                "mode": .string(mode),
            ]),
            "role": .string("operator"),
        ]
        if let token { params["auth"] = .object(["token": .string(token)]) }
        return .object(params)
    }

    /// Performs the `connect` handshake. Returns the `hello-ok` payload.
    /// - Throws: `ErrorShape` when the gateway refuses.
    @discardableResult
    public func connect(token: String?, clientId: String = "openclaw-swift-client", mode: String = "cli") async throws
        -> JSONValue
    {
        let response = try await call("connect", Self.connectParams(token: token, clientId: clientId, mode: mode))
        guard response.ok, let payload = response.payload else {
            throw response.error ?? ErrorShape(code: ErrorCode.unavailable, "connect failed")
        }
        return payload
    }

    static var platform: String {
        #if os(Linux)
        "linux"
        #elseif os(macOS)
        "macos"
        #else
        "unknown"
        #endif
    }

    // MARK: - Receiving

    /// The next response with `id`.
    public func response(_ id: String, timeout: Duration = .seconds(10)) async throws -> ResponseFrame {
        try await next(timeout: timeout) { $0.response?.id == id }.response!
    }

    /// The next event named `name` whose payload passes `matching`.
    public func event(
        _ name: String, timeout: Duration = .seconds(10), matching: @escaping @Sendable (JSONValue) -> Bool = { _ in true }
    ) async throws -> EventFrame {
        try await next(timeout: timeout) { frame in
            guard let event = frame.event, event.event == name else { return false }
            return matching(event.payload ?? .null)
        }.event!
    }

    /// The first frame not yet taken that matches, waiting up to `timeout` for it.
    /// - Throws: `GatewayClientError` on timeout or when the socket closes first.
    public func next(timeout: Duration = .seconds(10), where matches: @escaping @Sendable (Frame) -> Bool) async throws
        -> Frame
    {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (found, closed, version) = state.withLock { s -> (Frame?, CloseInfo??, Int) in
                for (index, entry) in s.received.enumerated() where !s.taken.contains(index) {
                    if let frame = entry.frame, matches(frame) {
                        s.taken.insert(index)
                        return (frame, nil, s.version)
                    }
                }
                return (nil, s.isClosed ? .some(s.closed) : nil, s.version)
            }
            if let found { return found }
            if let closed { throw GatewayClientError("socket closed before the frame arrived (\(closed.map(\.description) ?? "-"))") }
            guard ContinuousClock.now < deadline else { throw GatewayClientError("timed out waiting for a frame") }
            await waitForChange(after: version, until: deadline)
        }
    }

    /// Every frame received so far, in order.
    public var frames: [Frame] {
        state.withLock { $0.received.compactMap(\.frame) }
    }

    /// Waits for the server to close the socket; returns how (nil code when it was dropped).
    public func waitForClose(timeout: Duration = .seconds(10)) async throws -> CloseInfo {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (closed, version) = state.withLock { s in (s.isClosed ? s.closed ?? CloseInfo() : nil, s.version) }
            if let closed { return closed }
            guard ContinuousClock.now < deadline else { throw GatewayClientError("timed out waiting for close") }
            await waitForChange(after: version, until: deadline)
        }
    }

    public var isClosed: Bool { state.withLock { $0.isClosed } }

    private func receive(_ text: String) {
        let waiters = state.withLock { s in
            s.received.append((try? Frame.parse(text), text))
            return s.takeWaiters()
        }
        for waiter in waiters { waiter.resume() }
    }

    private func closed(_ info: CloseInfo?) {
        let waiters = state.withLock { s in
            s.isClosed = true
            s.closed = info
            return s.takeWaiters()
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns when a frame has arrived or the socket has closed since `version`, or at `deadline`.
    private func waitForChange(after version: Int, until deadline: ContinuousClock.Instant) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForChange(after: version) }
            group.addTask { try? await Task.sleep(until: deadline) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForChange(after version: Int) async {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                state.withLock { s in
                    if s.cancelled.remove(id) != nil || s.version != version {
                        continuation.resume()
                    } else {
                        s.waiters[id] = continuation
                    }
                }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                if let waiter = s.waiters.removeValue(forKey: id) { return waiter }
                s.cancelled.insert(id)
                return nil
            }
            waiter?.resume()
        }
    }
}
