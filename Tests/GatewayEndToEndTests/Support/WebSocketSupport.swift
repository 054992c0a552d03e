import Foundation
import GatewayClient
import GatewayProtocol
import OpenAIWire

extension TestGateway {
    var wsURL: String { "ws://127.0.0.1:\(port)" }

    /// Opens a WebSocket to this gateway (not yet connected at the protocol level).
    func ws<T: Sendable>(_ body: @Sendable (GatewayConnection) async throws -> T) async throws -> T {
        try await GatewayConnection.with(url: wsURL, body)
    }

    /// Opens a WebSocket and completes `connect` with the test token.
    func connected<T: Sendable>(_ body: @Sendable (GatewayConnection, JSONValue) async throws -> T) async throws -> T {
        try await ws { connection in
            let hello = try await connection.connect(token: TestGateway.token)
            return try await body(connection, hello)
        }
    }
}

extension JSONValue {
    var int: Int? { doubleValue.map { Int($0) } }
}

/// Builds a JSON object from pairs (tests only).
func object(_ pairs: KeyValuePairs<String, JSONValue>) -> JSONValue {
    .object(Dictionary(uniqueKeysWithValues: pairs.map { ($0.0, $0.1) }))
}
