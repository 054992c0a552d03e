import GatewayConfig
import Hummingbird
import NIOCore
import OpenAIWire

/// `GET /v1/models` and `GET /v1/models/{id}` (P1–P3): the agent targets a client may put in
/// `model`. Backend provider models are never listed.
struct ModelsEndpoint: Sendable {
    let catalog: AgentCatalog

    struct Model: Encodable, Sendable {
        var id: String
        var object = "model"
        var created = 0
        var ownedBy = "openclaw"
        var permission: [String] = []
        enum CodingKeys: String, CodingKey {
            case id, object, created, permission
            case ownedBy = "owned_by"
        }
    }

    struct ModelList: Encodable, Sendable {
        var object = "list"
        var data: [Model]
    }

    /// P2: `openclaw`, `openclaw/default`, `openclaw/<default agent>`, then every agent, deduplicated.
    var ids: [String] {
        var seen: Set<String> = []
        let all = ["openclaw", "openclaw/default", "openclaw/\(catalog.defaultAgentId)"]
            + catalog.agents.map { "openclaw/\($0.id)" }
        return all.filter { seen.insert($0).inserted }
    }

    func list() -> Response {
        json(ModelList(data: ids.map { Model(id: $0) }))
    }

    /// P3: `rawId` is the path after `/v1/models/`, still percent-encoded.
    func model(rawId: String) throws -> Response {
        guard !rawId.isEmpty else { throw GatewayError.invalidRequest("Missing model id.") }
        guard let id = Self.percentDecoded(rawId) else {
            throw GatewayError.invalidRequest("Invalid model id encoding.")
        }
        guard RequestTargeting.parseModel(id) != .notATarget else {
            throw GatewayError.invalidRequest("Invalid model id.")
        }
        guard ids.contains(id) else {
            throw GatewayError(status: .notFound, message: "Model '\(id)' not found.", type: "invalid_request_error")
        }
        return json(Model(id: id))
    }

    /// Strict percent-decoding, like JavaScript's `decodeURIComponent`: a malformed escape or
    /// bytes that are not UTF-8 fail.
    static func percentDecoded(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        func hex(_ b: UInt8?) -> UInt8? {
            guard let b else { return nil }
            switch b {
            case 0x30...0x39: return b - 0x30
            case 0x41...0x46: return b - 0x41 + 10
            case 0x61...0x66: return b - 0x61 + 10
            default: return nil
            }
        }
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = hex(iterator.next()), let low = hex(iterator.next()) else { return nil }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private func json(_ value: some Encodable) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: JSONCoding.compactData(value))))
    }
}
