import Foundation
import OpenAIWire

/// Constants of the WebSocket control plane (R1–R4, D-7).
public enum ControlProtocol {
    /// The protocol version this gateway speaks (D-7).
    public static let version = 3
    /// Largest frame after `connect` (R4 `policy.maxPayload`, 25 MiB).
    public static let maxPayload = 25 * 1024 * 1024
    /// Largest frame before `connect` has succeeded (R2).
    public static let maxPreConnectPayload = 64 * 1024
    /// Default `policy.maxBufferedBytes`: outgoing bytes a client may leave unread before the
    /// server closes its socket (1008 "slow consumer").
    public static let maxBufferedBytes = 2 * maxPayload
    /// Default `policy.tickIntervalMs`.
    public static let defaultTickInterval: Duration = .seconds(30)
}

/// Error codes of R1.
public enum ErrorCode {
    public static let notLinked = "NOT_LINKED"
    public static let notPaired = "NOT_PAIRED"
    public static let agentTimeout = "AGENT_TIMEOUT"
    public static let forbidden = "FORBIDDEN"
    public static let invalidRequest = "INVALID_REQUEST"
    public static let unavailable = "UNAVAILABLE"
}

/// The error of a failed response (R1): `{code, message, details?, retryable?, retryAfterMs?}`.
public struct ErrorShape: Sendable, Equatable, Error {
    public var code: String
    public var message: String
    public var details: JSONValue?
    public var retryable: Bool?
    public var retryAfterMs: Int?

    public init(
        code: String = ErrorCode.invalidRequest, _ message: String, details: JSONValue? = nil, retryable: Bool? = nil,
        retryAfterMs: Int? = nil
    ) {
        self.code = code
        self.message = message
        self.details = details
        self.retryable = retryable
        self.retryAfterMs = retryAfterMs
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = ["code": .string(code), "message": .string(message)]
        if let details { object["details"] = details }
        if let retryable { object["retryable"] = .bool(retryable) }
        if let retryAfterMs { object["retryAfterMs"] = .number(Double(retryAfterMs)) }
        return .object(object)
    }

    init?(json: JSONValue?) {
        guard let json, let code = json["code"]?.stringValue else { return nil }
        self.code = code
        self.message = json["message"]?.stringValue ?? ""
        self.details = json["details"]
        self.retryable = json["retryable"]?.boolValue
        self.retryAfterMs = json["retryAfterMs"]?.doubleValue.map { Int($0) }
    }
}

/// `{type:"req", id, method, params?}`.
public struct RequestFrame: Sendable, Equatable {
    public var id: String
    public var method: String
    public var params: JSONValue?

    public init(id: String = UUID().uuidString.lowercased(), method: String, params: JSONValue? = nil) {
        self.id = id
        self.method = method
        self.params = params
    }
}

/// `{type:"res", id, ok, payload?, error?}`.
public struct ResponseFrame: Sendable, Equatable {
    public var id: String
    public var ok: Bool
    public var payload: JSONValue?
    public var error: ErrorShape?

    public init(id: String, ok: Bool, payload: JSONValue? = nil, error: ErrorShape? = nil) {
        self.id = id
        self.ok = ok
        self.payload = payload
        self.error = error
    }
}

/// `{type:"event", event, payload?, seq?}`.
public struct EventFrame: Sendable, Equatable {
    public var event: String
    public var payload: JSONValue?
    public var seq: Int?

    public init(event: String, payload: JSONValue? = nil, seq: Int? = nil) {
        self.event = event
        self.payload = payload
        self.seq = seq
    }
}

/// One text frame of the control plane (R1).
public enum Frame: Sendable, Equatable {
    case request(RequestFrame)
    case response(ResponseFrame)
    case event(EventFrame)

    public var json: JSONValue {
        switch self {
        case .request(let r):
            var object: [String: JSONValue] = ["type": .string("req"), "id": .string(r.id), "method": .string(r.method)]
            if let params = r.params { object["params"] = params }
            return .object(object)
        case .response(let r):
            var object: [String: JSONValue] = ["type": .string("res"), "id": .string(r.id), "ok": .bool(r.ok)]
            if let payload = r.payload { object["payload"] = payload }
            if let error = r.error { object["error"] = error.json }
            return .object(object)
        case .event(let e):
            var object: [String: JSONValue] = ["type": .string("event"), "event": .string(e.event)]
            if let payload = e.payload { object["payload"] = payload }
            if let seq = e.seq { object["seq"] = .number(Double(seq)) }
            return .object(object)
        }
    }

    /// Compact JSON text, as sent on the wire.
    public var text: String { json.jsonString() }

    /// Parses one text frame.
    /// - Throws: `FrameError` naming what is wrong, with the frame's `id` when it had one.
    public static func parse(_ text: String) throws(FrameError) -> Frame {
        let json: JSONValue
        do {
            json = try JSONValue.parse(Data(text.utf8))
        } catch {
            throw FrameError(id: nil, message: "invalid frame: \(error.message)")
        }
        guard case .object = json else { throw FrameError(id: nil, message: "invalid frame: expected a JSON object") }
        let id = json["id"]?.stringValue
        switch json["type"]?.stringValue {
        case "req":
            guard let id, !id.isEmpty else { throw FrameError(id: nil, message: "invalid request frame: id must be a non-empty string") }
            guard let method = json["method"]?.stringValue, !method.isEmpty else {
                throw FrameError(id: id, message: "invalid request frame: method must be a non-empty string")
            }
            return .request(RequestFrame(id: id, method: method, params: json["params"]))
        case "res":
            guard let id, let ok = json["ok"]?.boolValue else {
                throw FrameError(id: id, message: "invalid response frame: id and ok are required")
            }
            return .response(ResponseFrame(id: id, ok: ok, payload: json["payload"], error: ErrorShape(json: json["error"])))
        case "event":
            guard let event = json["event"]?.stringValue else {
                throw FrameError(id: nil, message: "invalid event frame: event is required")
            }
            return .event(EventFrame(event: event, payload: json["payload"], seq: json["seq"]?.doubleValue.map { Int($0) }))
        default:
            throw FrameError(id: id, message: "invalid frame: type must be req, res or event")
        }
    }

    public var request: RequestFrame? {
        if case .request(let r) = self { return r }
        return nil
    }

    public var response: ResponseFrame? {
        if case .response(let r) = self { return r }
        return nil
    }

    public var event: EventFrame? {
        if case .event(let e) = self { return e }
        return nil
    }
}

/// A frame that could not be parsed.
public struct FrameError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The frame's `id`, when it had a usable one.
    public var id: String?
    public var message: String

    public var description: String { message }
}
