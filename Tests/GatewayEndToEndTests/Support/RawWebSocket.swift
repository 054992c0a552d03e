import NIOCore
import NIOPosix

/// A byte-level WebSocket client over plain TCP: it writes the upgrade request and the frames
/// itself (RFC 6455), so the tests see the wire exactly, independently of any WebSocket library.
struct RawSocket {
    var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let channel: any Channel
    var buffer = ByteBuffer()

    /// - Parameter receiveBuffer: a small `SO_RCVBUF` makes a client that stops reading push
    ///   back on the server at once.
    static func with<T: Sendable>(
        port: Int, receiveBuffer: Int? = nil, _ body: (inout RawSocket) async throws -> T
    ) async throws -> T {
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        if let receiveBuffer {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBuffer))
        }
        let channel = try await bootstrap
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var socket = RawSocket(inbound: inbound.makeAsyncIterator(), outbound: outbound, channel: channel.channel)
            return try await body(&socket)
        }
    }

    func write(_ text: String) async throws {
        try await outbound.write(ByteBuffer(string: text))
    }

    /// Reads up to the end of an HTTP response head.
    mutating func readHead() async throws -> String {
        while true {
            let view = String(buffer: buffer)
            if let end = view.range(of: "\r\n\r\n") {
                let head = String(view[..<end.lowerBound])
                buffer.moveReaderIndex(forwardBy: view[..<end.upperBound].utf8.count)
                return head
            }
            try await fill()
        }
    }

    /// Reads until the bytes after the head contain `marker`; returns them (and keeps them).
    /// Fails (closing the connection) if they do not within `deadline`.
    mutating func readUntil(_ marker: String, within deadline: Duration = .seconds(10)) async throws -> String {
        let channel = self.channel
        let timer = channel.eventLoop.scheduleTask(in: .seconds(deadline.components.seconds)) {
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        while !String(buffer: buffer).contains(marker) {
            do {
                try await fill()
            } catch {
                throw ProcessTestError("no \(marker) within \(deadline): \(String(buffer: buffer).prefix(300))")
            }
        }
        return String(buffer: buffer)
    }

    /// Reads everything up to the server's end of the connection.
    mutating func readToEnd() async throws -> String {
        while var more = try await inbound.next() { buffer.writeBuffer(&more) }
        defer { buffer.clear() }
        return String(buffer: buffer)
    }

    /// Sends one masked frame (clients must mask, RFC 6455 5.3).
    func send(opcode: UInt8, _ payload: [UInt8]) async throws {
        var frame = ByteBuffer()
        frame.writeInteger(0x80 | opcode)
        if payload.count < 126 {
            frame.writeInteger(UInt8(0x80 | payload.count))
        } else if payload.count <= 0xFFFF {
            frame.writeInteger(UInt8(0x80 | 126))
            frame.writeInteger(UInt16(payload.count))
        } else {
            frame.writeInteger(UInt8(0x80 | 127))
            frame.writeInteger(UInt64(payload.count))
        }
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        frame.writeBytes(mask)
        frame.writeBytes(payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
        try await outbound.write(frame)
    }

    func sendText(_ text: String) async throws {
        try await send(opcode: 0x1, Array(text.utf8))
    }

    /// Reads one (unmasked, unfragmented) server frame.
    mutating func readFrame() async throws -> (opcode: UInt8, payload: [UInt8]) {
        while true {
            if let frame = parseFrame() { return frame }
            try await fill()
        }
    }

    private mutating func parseFrame() -> (opcode: UInt8, payload: [UInt8])? {
        // Only the header is looked at until the whole frame is there (frames may be MiBs).
        guard let bytes = buffer.getBytes(at: buffer.readerIndex, length: min(buffer.readableBytes, 10)),
            bytes.count >= 2
        else { return nil }
        var length = Int(bytes[1] & 0x7F)
        var offset = 2
        if length == 126 {
            guard bytes.count >= 4 else { return nil }
            length = Int(bytes[2]) << 8 | Int(bytes[3])
            offset = 4
        } else if length == 127 {
            guard bytes.count >= 10 else { return nil }
            length = bytes[2..<10].reduce(0) { $0 << 8 | Int($1) }
            offset = 10
        }
        guard buffer.readableBytes >= offset + length else { return nil }
        buffer.moveReaderIndex(forwardBy: offset)
        let payload = buffer.readBytes(length: length) ?? []
        return (bytes[0] & 0x0F, payload)
    }

    private mutating func fill() async throws {
        guard var more = try await inbound.next() else { throw ProcessTestError("the server closed the connection") }
        buffer.writeBuffer(&more)
    }
}
