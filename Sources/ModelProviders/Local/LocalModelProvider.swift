import AsyncHTTPClient
import Logging

/// The embedded `local` provider (V3): OpenAI Chat Completions against the supervised
/// `llama-server`. A call that finds the server gone waits for the restart and tries once more.
public struct LocalModelProvider: ModelProvider {
    public let id = "local"
    let supervisor: LocalModelSupervisor
    let clients: UpstreamClients
    let logger: Logger

    public init(supervisor: LocalModelSupervisor, clients: UpstreamClients, logger: Logger) {
        self.supervisor = supervisor
        self.clients = clients
        self.logger = logger
    }

    public func complete(
        _ request: ModelRequest, onEvent: (ModelStreamEvent) async throws -> Void
    ) async throws -> ModelResponse {
        var request = request
        request.model = LocalModelSettings.defaultModelId
        if request.sampling.maxTokens == nil { request.sampling.maxTokens = supervisor.settings.defaultMaxTokens }
        var attempt = 0
        while true {
            attempt += 1
            let port = try await supervisor.readyPort()
            let upstream = OpenAICompatibleProvider(
                id: id, baseURL: "http://127.0.0.1:\(port)/v1", apiKey: nil, clients: clients, logger: logger)
            do {
                return try await upstream.complete(request, onEvent: onEvent)
            } catch let error as ProviderError where error.kind == .connection && attempt == 1 {
                // The child died between health checks: wait for the supervisor's restart.
                logger.info("local model server unreachable, waiting for restart", metadata: ["port": "\(port)"])
                supervisor.reportUnreachable(port: port)
            }
        }
    }
}
