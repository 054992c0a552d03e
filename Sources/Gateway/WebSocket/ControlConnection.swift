import Foundation
import GatewayProtocol
import HummingbirdWebSocket
import Logging
import NIOCore
import OpenAIWire
import Synchronization

/// One WebSocket client of the control plane: the `connect` handshake (R2–R4), then requests
/// until the client leaves.
///
/// The reader (this task), the writer, the tick timer and each request run as children of one
/// task group; leaving the group when the client goes away cancels them all. Runs the client
/// started keep going in the `ControlPlane`.
struct ControlConnection: Sendable {
    let plane: ControlPlane
    let channel: any Channel
    let clientIP: String
    let connId = UUID().uuidString.lowercased()
    let outbox: Outbox
    /// Given back once `connect` succeeds (or, by the control plane, when the socket closes).
    let preAuthSlot: PreAuthBudget.Slot?

    init(plane: ControlPlane, channel: any Channel, clientIP: String, preAuthSlot: PreAuthBudget.Slot? = nil) {
        self.plane = plane
        self.channel = channel
        self.clientIP = clientIP
        self.preAuthSlot = preAuthSlot
        self.outbox = Outbox(maxBufferedBytes: plane.settings.maxBufferedBytes)
    }

    /// Puts a `PreConnectGuard` at the head of the socket's pipeline. Call on the event loop,
    /// during the upgrade, before any WebSocket byte is read.
    func guardPreConnectBytes(logger: Logger) throws {
        let outbox = self.outbox
        let guardHandler = PreConnectGuard { received in
            logger.debug("pre-connect bytes over budget", metadata: ["ws.received.bytes": "\(received)"])
            outbox.close(.messageTooLarge, reason: "payload too large")
        }
        try channel.pipeline.syncOperations.addHandler(guardHandler, name: PreConnectGuard.name, position: .first)
    }

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, logger: Logger) async throws {
        var logger = logger
        logger[metadataKey: "ws.connection.id"] = "\(connId)"
        let settings = plane.settings
        let outbox = self.outbox
        let connected = Flag()
        let channel = self.channel

        try await withThrowingTaskGroup(of: Void.self) { group in
            defer {
                plane.unregister(connId)
                outbox.finish()
                group.cancelAll()
            }
            group.addTask { try await Self.write(outbox, to: outbound, channel: channel, closeGrace: settings.closeGrace) }
            group.addTask { [logger] in
                // Once a close is queued, the socket goes within twice the grace even when the
                // writer is stuck on a client that does not read.
                for await _ in outbox.closing {}
                try await Task.sleep(for: settings.closeGrace * 2)
                if outbox.isSlowConsumer {
                    logger.info("websocket closed: slow consumer", metadata: ["ws.buffered.bytes": "\(outbox.bufferedBytes)"])
                }
                channel.close(promise: nil)
            }
            group.addTask {
                try await Task.sleep(for: settings.handshakeTimeout)
                if !connected.isSet { outbox.close(.policyViolation, reason: "handshake timeout") }
            }

            var messages = inbound.makeAsyncIterator()
            // R2: the first frame is capped at 64 KiB and must be `connect`.
            guard let first = try await messages.nextMessage(maxSize: ControlProtocol.maxPreConnectPayload) else { return }
            let text = Self.text(of: first)
            guard text.utf8.count <= ControlProtocol.maxPreConnectPayload else {
                logger.debug("pre-connect frame too large", metadata: ["ws.frame.bytes": "\(text.utf8.count)"])
                outbox.close(.messageTooLarge, reason: "payload too large")
                return try await Self.drain(&messages)
            }
            guard let hello = handshake(text, outbox: outbox, logger: logger) else {
                return try await Self.drain(&messages)
            }
            connected.set()
            preAuthSlot?.release()
            // The full `maxPayload` applies from here on.
            channel.pipeline.removeHandler(name: PreConnectGuard.name, promise: nil)
            plane.register(connId, outbox)
            outbox.respond(hello.id, payload: hello.payload)
            logger.debug("websocket connected", metadata: ["ws.client.ip": "\(clientIP)"])

            group.addTask {
                while true {
                    try await Task.sleep(for: settings.tickInterval)
                    outbox.event("tick", .object(["ts": .number(Double(Date.nowMs))]))
                }
            }
            let methods = ControlMethods(plane: plane, connId: connId)
            while let message = try await messages.nextMessage(maxSize: ControlProtocol.maxPayload) {
                let frame: Frame
                switch Result(catching: { () throws(FrameError) in try Frame.parse(Self.text(of: message)) }) {
                case .success(let parsed):
                    frame = parsed
                case .failure(let error):
                    outbox.respond(error.id ?? "invalid", error: ErrorShape(error.message))
                    continue
                }
                guard case .request(let request) = frame else {
                    outbox.respond(
                        frame.response?.id ?? "invalid", error: ErrorShape("invalid frame: clients send only req frames"))
                    continue
                }
                if request.method == "connect" {
                    outbox.respond(request.id, error: ErrorShape("connect already completed"))
                    continue
                }
                group.addTask { await methods.handle(request, outbox: outbox) }
            }
        }
    }

    /// Checks the first frame. Returns the `hello-ok` answer, or nil after queuing the error
    /// response and close frame (R2, R3).
    private func handshake(_ text: String, outbox: Outbox, logger: Logger) -> (id: String, payload: JSONValue)? {
        let handshakeError = "invalid handshake: first request must be connect"
        guard case .request(let request)? = try? Frame.parse(text) else {
            outbox.close(.policyViolation, reason: "invalid handshake")
            return nil
        }
        guard request.method == "connect" else {
            outbox.respond(request.id, error: ErrorShape(handshakeError))
            outbox.close(.policyViolation, reason: "invalid handshake")
            return nil
        }
        let params: ConnectParams
        do {
            params = try ConnectParams(request.params)
        } catch {
            outbox.respond(request.id, error: error)
            outbox.close(.policyViolation, reason: "invalid connect params")
            return nil
        }
        guard (params.minProtocol...params.maxProtocol).contains(ControlProtocol.version) else {
            outbox.respond(
                request.id,
                error: ErrorShape(
                    "protocol mismatch",
                    details: .object([
                        "expectedProtocol": .number(Double(ControlProtocol.version)),
                        "minProtocol": .number(Double(params.minProtocol)),
                        "maxProtocol": .number(Double(params.maxProtocol)),
                    ])))
            outbox.close(.protocolError, reason: "protocol mismatch")
            return nil
        }
        do {
            try plane.authenticator.authorize(credential: params.credential, clientIP: clientIP)
        } catch {
            var shape = ErrorShape("unauthorized")
            if error.status == .tooManyRequests {
                let retryAfterMs = Int(error.extraHeaders[.retryAfter] ?? "").map { $0 * 1000 }
                shape.details = .object(["code": .string("AUTH_RATE_LIMITED")])
                shape.retryable = true
                shape.retryAfterMs = retryAfterMs
            } else {
                shape.details = .object([
                    "code": .string(params.credential == nil ? "AUTH_TOKEN_MISSING" : "AUTH_TOKEN_MISMATCH")
                ])
            }
            logger.debug("websocket auth failed", metadata: ["ws.client.ip": "\(clientIP)"])
            outbox.respond(request.id, error: shape)
            outbox.close(.policyViolation, reason: "unauthorized")
            return nil
        }
        return (request.id, helloOk())
    }

    /// R4 `hello-ok`.
    private func helloOk() -> JSONValue {
        .object([
            "type": .string("hello-ok"),
            "protocol": .number(Double(ControlProtocol.version)),
            "server": .object(["version": .string(ControlPlane.serverVersion), "connId": .string(connId)]),
            "features": .object([
                "methods": .array(ControlMethods.methods.map(JSONValue.string)),
                "events": .array(ControlMethods.events.map(JSONValue.string)),
            ]),
            "snapshot": .object([
                "presence": .array([]),
                "health": .object(["ok": .bool(true)]),
                "stateVersion": .object(["presence": .number(0), "health": .number(0)]),
                "uptimeMs": .number(Double(Int(Date().timeIntervalSince(plane.startedAt) * 1000))),
            ]),
            "policy": .object([
                "maxPayload": .number(Double(ControlProtocol.maxPayload)),
                "maxBufferedBytes": .number(Double(plane.settings.maxBufferedBytes)),
                "tickIntervalMs": .number(Double(plane.settings.tickInterval.milliseconds)),
            ]),
            "auth": .object([
                "role": .string("operator"),
                "scopes": .array(ControlMethods.operatorScopes.map(JSONValue.string)),
            ]),
        ])
    }

    /// The single writer: sends queued frames in order. After a close frame it waits
    /// `closeGrace` for the client's answer, then drops the socket.
    private static func write(
        _ outbox: Outbox, to outbound: WebSocketOutboundWriter, channel: any Channel, closeGrace: Duration
    ) async throws {
        for await item in outbox.items {
            switch item {
            case .text(let text):
                // A client that does not read gets no more of its queue, only the close frame.
                if !outbox.isSlowConsumer { try await outbound.writeTextMessage(text) }
                outbox.sent(item)
            case .close(let code, let reason):
                try await outbound.close(code, reason: reason)
                outbox.sent(item)
                try await Task.sleep(for: closeGrace)
                channel.close(promise: nil)
                return
            }
        }
    }

    /// Reads and ignores frames until the client answers our close.
    private static func drain(_ messages: inout WebSocketInboundStream.AsyncIterator) async throws {
        while try await messages.nextMessage(maxSize: ControlProtocol.maxPayload) != nil {}
    }

    private static func text(of message: WebSocketMessage) -> String {
        switch message {
        case .text(let text): text
        case .binary(let buffer): String(buffer: buffer)
        }
    }
}

/// `connect` params (R3). `client.id` and `client.mode` are free strings (D-10).
struct ConnectParams: Sendable {
    var minProtocol: Int
    var maxProtocol: Int
    var clientId: String
    var clientMode: String
    var credential: String?

    init(_ params: JSONValue?) throws(ErrorShape) {
        guard let params, case .object = params else { throw ErrorShape("invalid connect params: params must be an object") }
        guard let min = params["minProtocol"]?.intValue, let max = params["maxProtocol"]?.intValue else {
            throw ErrorShape("invalid connect params: minProtocol and maxProtocol must be integers")
        }
        guard let client = params["client"], case .object = client else {
            throw ErrorShape("invalid connect params: client must be an object")
        }
        for key in ["id", "version", "platform", "mode"] {
            guard let value = client[key]?.stringValue, !value.isEmpty else {
                throw ErrorShape("invalid connect params: client.\(key) must be a non-empty string")
            }
        }
        self.minProtocol = min
        self.maxProtocol = Swift.max(min, max)
        self.clientId = client["id"]?.stringValue ?? ""
        self.clientMode = client["mode"]?.stringValue ?? ""
        // The same string is offered as token and password, as on HTTP (C3).
        let auth = params["auth"]
        let presented = [auth?["token"]?.stringValue, auth?["password"]?.stringValue]
            .compactMap { $0?.trimmingCharacters(in: .whitespaces) }
            .first { !$0.isEmpty }
        self.credential = presented
    }
}

extension JSONValue {
    /// An integral number.
    var intValue: Int? {
        guard let number = doubleValue, number.rounded() == number, abs(number) < 9e15 else { return nil }
        return Int(number)
    }
}

extension Date {
    static var nowMs: Int { Int(Date().timeIntervalSince1970 * 1000) }
}

extension Duration {
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}

/// A one-way switch shared between tasks.
final class Flag: Sendable {
    private let value = Mutex(false)

    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
