import Foundation
import ModelProviders
import NIOCore
import NIOPosix
import OpenAIWire
import SessionStore
import Testing

@testable import AgentRuntime

/// Filesystem work of the runtime never runs on an event loop (blocking calls there would stall
/// every connection the loop serves).
@Suite struct BlockingIOTests {
    /// Says whether its work ran on `loop`.
    struct Probe: FileSystemTool {
        let name = "probe"
        let description = "probe"
        let ownerOnly = false
        let loop: any EventLoop
        var parameters: JSONValue { .object([:]) }
        func perform(_ arguments: ToolArguments, context: ToolContext) throws -> String {
            loop.inEventLoop ? "on the loop" : "off the loop"
        }
    }

    static func context(workspace: String) throws -> ToolContext {
        ToolContext(
            agentId: "main", sessionKey: "agent:main:main", runId: "run", workspace: Workspace(root: workspace),
            model: "fake/model", usage: ModelUsage(), store: try SQLiteSessionStore())
    }

    @Test("a file tool called from a task on an event loop does its filesystem work on the blocking-I/O pool")
    func fileToolLeavesTheLoop() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let context = try Self.context(workspace: FileManager.default.temporaryDirectory.path)
        let (caller, tool) = try await withTaskExecutorPreference(EventLoopExecutor.of(loop)) {
            (loop.inEventLoop, try await Probe(loop: loop).run(ToolArguments([:]), context: context))
        }
        #expect(caller, "the calling task was not on the loop: the check below would prove nothing")
        #expect(tool == "off the loop")
    }

    @Test("read, write, edit and ls are file-system tools; the built-in toolbox offers them")
    func workspaceToolsAreFileSystemTools() {
        let names = Toolbox.builtin.tools.filter { $0 is any FileSystemTool }.map(\.name).sorted()
        #expect(names == ["edit", "ls", "read", "write"])
    }

    @Test("a skills snapshot is kept for maxAge, then read again in the background while runs keep using it")
    func skillsCacheMaxAge() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("skills-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cache = SkillsCache(maxAge: .milliseconds(200))
        let firstRead = ContinuousClock.now
        #expect(await cache.skills(workspace: root, only: nil).isEmpty)
        try FileManager.default.createDirectory(atPath: root + "/skills/notes", withIntermediateDirectories: true)
        try "---\nname: notes\ndescription: Keep notes\n---\n".write(
            toFile: root + "/skills/notes/SKILL.md", atomically: true, encoding: .utf8)
        var names: [String] = []
        for _ in 0..<200 where names.isEmpty {
            names = await cache.skills(workspace: root, only: nil).map(\.name)
            if names.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(names == ["notes"])
        // Not read again before maxAge: the new skill shows only after it.
        #expect(ContinuousClock.now - firstRead >= .milliseconds(200))
    }
}
