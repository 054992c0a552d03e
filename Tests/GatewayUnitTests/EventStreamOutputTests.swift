import Hummingbird
import NIOCore
import Synchronization
import Testing

@testable import Gateway

/// The gate of a streamed response written by two tasks (the run and the keep-alive tick).
@Suite struct EventStreamOutputTests {
    @Test("a write waits for the write in progress; a keep-alive is skipped while anything is written")
    func writesNeverOverlap() async throws {
        let body = BlockingBody()
        let output = EventStreamOutput()
        try await output.attach(BlockingWriter(body: body))
        try await body.expectSecondWaits(
            first: "a", { try await output.write("a") },
            then: "b", { try await output.write("b") },
            meanwhile: {
                // "a" is inside the writer: a keep-alive is skipped.
                try await output.writeIfSilent(": ping", after: .zero)
            })
        #expect(body.log == ["start a", "end a", "start b", "end b"])
        #expect(body.maxInFlight == 1)
    }

    @Test("a keep-alive in progress holds back the next write; it is written only after silence")
    func keepAliveHoldsTheGate() async throws {
        let body = BlockingBody()
        let output = EventStreamOutput()
        try await output.attach(BlockingWriter(body: body))
        try await body.expectSecondWaits(
            first: ": ping", { try await output.writeIfSilent(": ping", after: .zero) },
            then: "c", { try await output.write("c") })
        // Just written: not silent for 10 s, so no keep-alive.
        try await output.writeIfSilent(": ping", after: .seconds(10))
        #expect(body.log == ["start : ping", "end : ping", "start c", "end c"])
        #expect(body.maxInFlight == 1)
    }
}

/// A run that starts before its response head is written.
@Suite struct EventStreamOutputAttachTests {
    @Test("what is written before attach is sent first, in one write, in order; later writes go straight through")
    func pendingWritesGoFirst() async throws {
        let output = EventStreamOutput(first: "role;")
        try await output.write("a;")
        try await output.writeIfSilent(": ping;", after: .zero)
        try await output.write("b;")
        let writes = Writes()
        try await output.attach(RecordingWriter(writes: writes))
        try await output.write("c;")
        try await output.finish()
        #expect(writes.all == ["role;a;: ping;b;", "c;", "<end>"])
    }
}

/// Deltas that came from upstream in one read.
@Suite struct EventStreamOutputBatchTests {
    @Test("held writes go out with the next flushing write, in one write, in order; flush() sends what is held")
    func heldWritesGoOutTogether() async throws {
        let output = EventStreamOutput()
        let writes = Writes()
        try await output.attach(RecordingWriter(writes: writes))
        try await output.write("a;")
        try await output.write("b;", flush: false)
        try await output.write("c;", flush: false)
        #expect(writes.all == ["a;"])
        try await output.flush()
        #expect(writes.all == ["a;", "b;c;"])
        // Nothing held: flush writes nothing.
        try await output.flush()
        try await output.write("d;", flush: false)
        try await output.write("e;")
        try await output.finish()
        #expect(writes.all == ["a;", "b;c;", "d;e;", "<end>"])
    }

    @Test("finish sends what is still held before it ends the body")
    func finishSendsHeldText() async throws {
        let output = EventStreamOutput()
        let writes = Writes()
        try await output.attach(RecordingWriter(writes: writes))
        try await output.write("x;", flush: false)
        try await output.finish()
        #expect(writes.all == ["x;", "<end>"])
    }
}

private final class Writes: Sendable {
    private let list = Mutex<[String]>([])
    var all: [String] { list.withLock { $0 } }
    func append(_ text: String) { list.withLock { $0.append(text) } }
}

private struct RecordingWriter: ResponseBodyWriter {
    let writes: Writes

    mutating func write(_ buffer: ByteBuffer) async throws {
        writes.append(String(buffer: buffer))
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        writes.append("<end>")
    }
}

/// What a `BlockingWriter` saw; each write stays inside the writer until released.
private final class BlockingBody: Sendable {
    private struct State {
        var log: [String] = []
        var inFlight = 0
        var maxInFlight = 0
        var released: Set<String> = []
    }
    private let state = Mutex(State())

    var log: [String] { state.withLock { $0.log } }
    var maxInFlight: Int { state.withLock { $0.maxInFlight } }

    /// Stays until `release(text)`, at most 2 s (a broken gate then shows in the log, not as a hang).
    func enter(_ text: String) async {
        state.withLock { s in
            s.log.append("start \(text)")
            s.inFlight += 1
            s.maxInFlight = max(s.maxInFlight, s.inFlight)
        }
        for _ in 0..<400 where !state.withLock({ $0.released.contains(text) }) {
            try? await Task.sleep(for: .milliseconds(5))
        }
        state.withLock { s in
            s.inFlight -= 1
            s.log.append("end \(text)")
        }
    }

    func release(_ text: String) {
        _ = state.withLock { $0.released.insert(text) }
    }

    /// Starts `first`; once it is inside the writer runs `meanwhile` and starts `second`,
    /// checks that `second` waits at the gate, then lets both through in order.
    func expectSecondWaits(
        first: String, _ firstWrite: @escaping @Sendable () async throws -> Void,
        then second: String, _ secondWrite: @escaping @Sendable () async throws -> Void,
        meanwhile: () async throws -> Void = {}
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask(operation: firstWrite)
            try await waitUntilEntered(first)
            try await meanwhile()
            group.addTask(operation: secondWrite)
            try await Task.sleep(for: .milliseconds(50))
            #expect(log == ["start \(first)"])
            release(first)
            try await waitUntilEntered(second)
            release(second)
            try await group.waitForAll()
        }
    }

    func waitUntilEntered(_ text: String) async throws {
        for _ in 0..<400 where !log.contains("start \(text)") {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(log.contains("start \(text)"))
    }
}

private struct BlockingWriter: ResponseBodyWriter {
    let body: BlockingBody

    mutating func write(_ buffer: ByteBuffer) async throws {
        await body.enter(String(buffer: buffer))
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
