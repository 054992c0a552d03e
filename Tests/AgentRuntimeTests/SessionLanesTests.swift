import AgentRuntime
import Testing

/// O3: runs on the same session key are serialized, FIFO; other keys run in parallel.
@Suite struct SessionLanesTests {
    /// Tracks how many bodies run at once, and the order they start in.
    actor Probe {
        private(set) var current = 0
        private(set) var maxConcurrent = 0
        private(set) var order: [Int] = []
        private(set) var inside: Set<String> = []

        func enter(_ n: Int = 0, key: String = "") {
            current += 1
            maxConcurrent = max(maxConcurrent, current)
            order.append(n)
            inside.insert(key)
        }

        func exit(key: String = "") {
            current -= 1
            inside.remove(key)
        }

        func isInside(_ key: String) -> Bool { inside.contains(key) }
    }

    struct Boom: Error {}

    /// Polls `condition` for up to 5 s.
    private func eventually(_ condition: @Sendable () async -> Bool) async -> Bool {
        for _ in 0..<5000 {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return false
    }

    @Test("O3: two withLane calls on the same key never overlap")
    func sameKeyNeverOverlaps() async throws {
        let lanes = SessionLanes()
        let probe = Probe()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<20 {
                group.addTask {
                    try await lanes.withLane("agent:main:openai-user:alice") {
                        await probe.enter(i)
                        try await Task.sleep(for: .milliseconds(2))
                        await probe.exit()
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(await probe.maxConcurrent == 1)
        #expect(await probe.order.count == 20)
        #expect(lanes.occupancy("agent:main:openai-user:alice") == 0)
    }

    @Test("O3: different keys run concurrently")
    func differentKeysConcurrent() async throws {
        let lanes = SessionLanes()
        let probe = Probe()
        let sawOther = try await withThrowingTaskGroup(of: Bool.self) { group in
            for (key, other) in [("a", "b"), ("b", "a")] {
                group.addTask {
                    try await lanes.withLane(key) {
                        await probe.enter(key: key)
                        let saw = await self.eventually { await probe.isInside(other) }
                        try await Task.sleep(for: .milliseconds(20))
                        await probe.exit(key: key)
                        return saw
                    }
                }
            }
            var all: [Bool] = []
            for try await saw in group { all.append(saw) }
            return all
        }
        #expect(sawOther == [true, true])
        #expect(await probe.maxConcurrent == 2)
    }

    @Test("O3: waiters take the lane in FIFO order")
    func fifoOrder() async throws {
        let lanes = SessionLanes()
        let probe = Probe()
        let (gate, open) = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await lanes.withLane("k") {
                await probe.enter(0)
                for await _ in gate { break }
                await probe.exit()
            }
        }
        #expect(await eventually { lanes.occupancy("k") == 1 })
        var waiters: [Task<Void, any Error>] = []
        for i in 1...6 {
            waiters.append(
                Task {
                    try await lanes.withLane("k") {
                        await probe.enter(i)
                        await probe.exit()
                    }
                })
            // Each waiter is queued before the next one starts.
            #expect(await eventually { lanes.occupancy("k") == i + 1 })
        }
        open.yield()
        try await holder.value
        for waiter in waiters { try await waiter.value }
        #expect(await probe.order == [0, 1, 2, 3, 4, 5, 6])
        #expect(lanes.occupancy("k") == 0)
    }

    @Test("O3: a waiter cancelled while queued throws CancellationError and never takes the lane")
    func cancelledWaiter() async throws {
        let lanes = SessionLanes()
        let probe = Probe()
        let (gate, open) = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await lanes.withLane("k") {
                await probe.enter(0)
                for await _ in gate { break }
                await probe.exit()
            }
        }
        #expect(await eventually { lanes.occupancy("k") == 1 })
        let waiter = Task {
            try await lanes.withLane("k") { await probe.enter(1) }
        }
        #expect(await eventually { lanes.occupancy("k") == 2 })
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        // It left the queue at once, while the holder still holds the lane.
        #expect(lanes.occupancy("k") == 1)
        open.yield()
        try await holder.value
        #expect(lanes.occupancy("k") == 0)
        #expect(await probe.order == [0], "the cancelled waiter's body never ran")
        // The lane is free for the next caller.
        let value = try await lanes.withLane("k") { 42 }
        #expect(value == 42)
    }

    @Test("O3: an already cancelled task does not take a free lane")
    func alreadyCancelled() async throws {
        let lanes = SessionLanes()
        let task = Task {
            while !Task.isCancelled { await Task.yield() }
            return try await lanes.withLane("k") { "ran" }
        }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(lanes.occupancy("k") == 0)
    }

    @Test("O3: the lane is released when the body throws")
    func releasedOnThrow() async throws {
        let lanes = SessionLanes()
        await #expect(throws: Boom.self) {
            try await lanes.withLane("k") { throw Boom() }
        }
        #expect(lanes.occupancy("k") == 0)
        let value = try await lanes.withLane("k") { "next" }
        #expect(value == "next")
    }

    @Test("O3: withLane returns the body's value and holds the lane only while the body runs")
    func occupancyDuringBody() async throws {
        let lanes = SessionLanes()
        let inside = try await lanes.withLane("k") { lanes.occupancy("k") }
        #expect(inside == 1)
        #expect(lanes.occupancy("k") == 0)
        #expect(lanes.occupancy("other") == 0)
    }
}
