import Foundation
import Testing

@testable import AgentRuntime

/// V5: workspace confinement of tool paths.
@Suite struct WorkspaceTests {
    private func makeRoot() throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ws-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/a/b", withIntermediateDirectories: true)
        return try #require(Workspace.realpath(root))
    }

    @Test("relative paths, `.` and `..` that stay inside resolve under the root")
    func inside() throws {
        let root = try makeRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let ws = Workspace(root: root)
        #expect(try ws.resolve("a/b/new.txt") == root + "/a/b/new.txt")
        #expect(try ws.resolve("./a/../a/b") == root + "/a/b")
        #expect(try ws.resolve(".") == root)
        #expect(try ws.resolve("") == root)
        #expect(try ws.resolve("x/y/z.txt") == root + "/x/y/z.txt")
    }

    @Test("absolute, climbing and symlinked escapes are refused", arguments: ["/etc/passwd", "~/x", "..", "a/../../x", "out", "out/x", "dangling"])
    func escapes(path: String) throws {
        let root = try makeRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createSymbolicLink(atPath: root + "/out", withDestinationPath: "/tmp")
        try FileManager.default.createSymbolicLink(atPath: root + "/dangling", withDestinationPath: "/nonexistent/x")
        #expect(throws: ToolFailure.self) { try Workspace(root: root).resolve(path) }
    }

    @Test("a symlink that stays inside the workspace is allowed")
    func innerSymlink() throws {
        let root = try makeRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createSymbolicLink(atPath: root + "/short", withDestinationPath: root + "/a/b")
        #expect(try Workspace(root: root).resolve("short/f.txt") == root + "/a/b/f.txt")
    }
}
