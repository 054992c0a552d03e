import AgentRuntime
import Hummingbird
import ModelProviders
import NIOCore

/// Reads a request body whole, within the size limit and the read timeout (F1, F2).
public enum BodyReader {
    /// F2: 30 s to receive the whole body.
    public static let timeout: Duration = .seconds(30)

    /// Returns the request with its body collected (so it can still be watched for inbound
    /// close) and the bytes. A declared `Content-Length` over the limit is refused unread.
    ///
    /// Must run as `control`'s work: the timeout, an event-loop timer on `eventLoop` (the
    /// connection's) removed as soon as the body is in, stops `control` with `bodyTimeout`.
    static func read(
        _ request: Request, limit: Int, timeout: Duration = timeout, eventLoop: (any EventLoop)? = nil,
        control: RunControl
    ) async throws -> (Request, ByteBuffer) {
        let lengths = request.headers[values: .contentLength]
        if let declared = lengths.first {
            guard lengths.count == 1, let n = Int(declared), n >= 0 else {
                throw GatewayError.invalidRequest("Invalid Content-Length")
            }
            if n > limit { throw GatewayError.payloadTooLarge }
        }
        let timer = EventLoopTimer(after: timeout, on: eventLoop) { control.stop(GatewayError.bodyTimeout) }
        defer { timer.cancel() }
        var request = request
        do {
            let buffer = try await request.collectBody(upTo: limit)
            return (request, buffer)
        } catch is NIOTooManyBytesError {
            throw GatewayError.payloadTooLarge
        }
    }
}
