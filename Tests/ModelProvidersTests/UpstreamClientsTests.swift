import AsyncHTTPClient
import NIOCore
import NIOPosix
import Testing

@testable import ModelProviders

/// An upstream call uses the client whose connections live on the caller's event loop.
@Suite struct UpstreamClientsTests {
    @Test("each event loop gets its own client; off the loops, some client is still returned")
    func clientPerLoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let clients = UpstreamClients(group: group, configuration: HTTPClient.Configuration())
        let loops = Array(group.makeIterator())
        var picked: [ObjectIdentifier] = []
        for loop in loops {
            let client = try await loop.submit { clients.current }.get()
            #expect(client.eventLoopGroup === loop)
            picked.append(ObjectIdentifier(client))
        }
        #expect(Set(picked).count == loops.count)
        #expect(clients.all.count == loops.count)
        #expect(clients.all.contains { $0 === clients.current })
        try await clients.shutdown()
        try await group.shutdownGracefully()
    }
}
