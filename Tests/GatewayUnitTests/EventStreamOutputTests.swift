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
        let output = EventStreamOutput(BlockingWriter(body: body))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await output.write("a") }
            try await body.waitUntilEntered("a")
            // "a" is inside the writer: a keep-alive is skipped, and "b" waits at the gate.
            try await output.writeIfSilent(": ping", after: .zero)
            group.addTask { try await output.write("b") }
            try await Task.sleep(for: .milliseconds(50))
            #expect(body.log == ["start a"])
            body.release("a")
            try await body.waitUntilEntered("b")
            body.release("b")
            try await group.waitForAll()
        }
        #expect(body.log == ["start a", "end a", "start b", "end b"])
        #expect(body.maxInFlight == 1)
    }

    @Test("a keep-alive in progress holds back the next write; it is written only after silence")
    func keepAliveHoldsTheGate() async throws {
        let body = BlockingBody()
        let output = EventStreamOutput(BlockingWriter(body: body))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await output.writeIfSilent(": ping", after: .zero) }
            try await body.waitUntilEntered(": ping")
            group.addTask { try await output.write("c") }
            try await Task.sleep(for: .milliseconds(50))
            #expect(body.log == ["start : ping"])
            body.release(": ping")
            try await body.waitUntilEntered("c")
            body.release("c")
            try await group.waitForAll()
        }
        // Just written: not silent for 10 s, so no keep-alive.
        try await output.writeIfSilent(": ping", after: .seconds(10))
        #expect(body.log == ["start : ping", "end : ping", "start c", "end c"])
        #expect(body.maxInFlight == 1)
    }
}

/// What a `BlockingWriter` saw; each write stays inside the writer until released.
private final class BlockingBody: Sendable {
    private struct State {
        var log: [String] = []
        var inFlight = 0
        var maxInFlight = 0
        var released: Set<String> = []
        var waiting: [String: CheckedContinuation<Void, Never>] = [:]
    }
    private let state = Mutex(State())

    var log: [String] { state.withLock { $0.log } }
    var maxInFlight: Int { state.withLock { $0.maxInFlight } }

    func enter(_ text: String) async {
        state.withLock { s in
            s.log.append("start \(text)")
            s.inFlight += 1
            s.maxInFlight = max(s.maxInFlight, s.inFlight)
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s in
                if s.released.contains(text) { return true }
                s.waiting[text] = continuation
                return false
            }
            if now { continuation.resume() }
        }
        state.withLock { s in
            s.inFlight -= 1
            s.log.append("end \(text)")
        }
    }

    func release(_ text: String) {
        let waiter = state.withLock { s in
            s.released.insert(text)
            return s.waiting.removeValue(forKey: text)
        }
        waiter?.resume()
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
