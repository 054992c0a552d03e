import Foundation
import NIOHTTP1
import OpenAIWire
import Testing

@Suite("GET /v1/models end to end")
struct ModelsEndpointTests {
    static let agents = #"[ { id: "alpha" }, { id: "beta", default: true }, { id: "gamma" } ]"#

    @Test("the list has openclaw, openclaw/default, the default agent, then every agent, deduplicated (P2)")
    func list() async throws {
        try await TestGateway.withUpstream(agentsList: Self.agents) { gateway, _ in
            let r = try await gateway.request(.GET, "/v1/models")
            #expect(r.status == 200)
            #expect(r.json?["object"]?.stringValue == "list")
            let data = try #require(r.json?["data"]?.arrayValue)
            #expect(data.compactMap { $0["id"]?.stringValue } == [
                "openclaw", "openclaw/default", "openclaw/beta", "openclaw/alpha", "openclaw/gamma",
            ])
            #expect(data.first == .object([
                "id": .string("openclaw"), "object": .string("model"), "created": .number(0),
                "owned_by": .string("openclaw"), "permission": .array([]),
            ]))
        }
    }

    @Test("single models: decoded ids, 400 for missing/bad/invalid ids, 404 for unknown agents (P3)")
    func single() async throws {
        try await TestGateway.withUpstream(agentsList: Self.agents) { gateway, _ in
            for path in ["/v1/models/openclaw%2Fdefault", "/v1/models/openclaw/alpha", "/v1/models/openclaw"] {
                let r = try await gateway.request(.GET, path)
                #expect(r.status == 200, "\(path)")
                #expect(r.json?["object"]?.stringValue == "model")
            }
            let cases: [(String, Int, String)] = [
                ("/v1/models/", 400, "Missing model id."),
                ("/v1/models/gpt-4", 400, "Invalid model id."),
                ("/v1/models/openclaw%2Fghost", 404, "Model 'openclaw/ghost' not found."),
            ]
            // A malformed escape, sent raw (client libraries would re-encode it).
            let raw = try await RawHTTP.exchange(
                port: gateway.port,
                send: "GET /v1/models/%E0%A4%A HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(TestGateway.token)\r\n\r\n")
            #expect(raw.hasPrefix("HTTP/1.1 400"))
            #expect(raw.contains(#"{"error":{"message":"Invalid model id encoding.","type":"invalid_request_error"}}"#))
            for (path, status, message) in cases {
                let r = try await gateway.request(.GET, path)
                #expect(r.status == status, "\(path)")
                #expect(r.errorMessage == message, "\(path)")
            }
        }
    }

    @Test("models need auth, answer only GET (405 Allow: GET), and are absent when no endpoint is enabled (P1, B1)")
    func guards() async throws {
        try await TestGateway.withUpstream { gateway, _ in
            #expect(try await gateway.request(.GET, "/v1/models", headers: []).status == 401)
            let post = try await gateway.request(.POST, "/v1/models")
            #expect(post.status == 405)
            #expect(post.headers["allow"].first == "GET")
        }
        let config = #"{ gateway: { auth: { token: "t" } }, agents: { defaults: { model: "none/x" } } }"#
        try await TestGateway.with(config: config) { gateway in
            let r = try await gateway.request(.GET, "/v1/models", headers: [("Authorization", "Bearer t")])
            #expect(r.status == 404)
        }
    }
}
