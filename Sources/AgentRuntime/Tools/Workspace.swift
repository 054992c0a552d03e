import Foundation

/// The directory an agent's file tools are confined to (V4, V5).
///
/// A tool path is relative to the workspace. It is refused when it is absolute, when its `..`
/// components climb above the workspace, or when a symlink on the way (or the file itself)
/// resolves to somewhere outside it. Checks resolve symlinks with `realpath`, so a link created
/// inside the workspace that points out of it is refused like a literal escape.
public struct Workspace: Sendable {
    /// The workspace as configured (may not exist yet).
    public let root: String

    public init(root: String) {
        self.root = root
    }

    /// Creates the workspace directory if needed and returns its real (symlink-free) path.
    func realRoot() throws(ToolFailure) -> String {
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        } catch {
            throw ToolFailure("cannot create the workspace directory: \(error.localizedDescription)")
        }
        guard let real = Self.realpath(root) else {
            throw ToolFailure("the workspace directory is not accessible")
        }
        return real
    }

    /// The absolute, symlink-checked path for `relative`, which need not exist yet.
    /// - Throws: `ToolFailure` naming why the path is refused.
    public func resolve(_ relative: String) throws(ToolFailure) -> String {
        let trimmed = relative.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("/") || trimmed.hasPrefix("~") {
            throw ToolFailure("path '\(relative)' is absolute; paths are relative to the workspace")
        }
        if trimmed.contains("\0") { throw ToolFailure("path contains a NUL byte") }
        // Lexical check: `..` must never climb above the workspace.
        var components: [Substring] = []
        for part in trimmed.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..":
                guard !components.isEmpty else {
                    throw ToolFailure("path '\(relative)' leaves the workspace")
                }
                components.removeLast()
            default: components.append(part)
            }
        }
        let root = try realRoot()
        let candidate = components.isEmpty ? root : root + "/" + components.joined(separator: "/")
        // Symlink check: resolve the longest existing prefix; it must stay inside the root.
        var existing = candidate
        var rest: [String] = []
        while Self.lstatExists(existing) == false, existing != root {
            rest.insert((existing as NSString).lastPathComponent, at: 0)
            existing = (existing as NSString).deletingLastPathComponent
        }
        guard let real = Self.realpath(existing) else {
            // A dangling symlink: refuse rather than follow it on creation.
            throw ToolFailure("path '\(relative)' is a broken symbolic link")
        }
        guard Self.isInside(real, root: root) else {
            throw ToolFailure("path '\(relative)' leaves the workspace (through a symbolic link)")
        }
        return rest.isEmpty ? real : real + "/" + rest.joined(separator: "/")
    }

    /// The path relative to the workspace, for messages.
    func display(_ absolute: String, root: String) -> String {
        if absolute == root { return "." }
        return absolute.hasPrefix(root + "/") ? String(absolute.dropFirst(root.count + 1)) : absolute
    }

    static func isInside(_ path: String, root: String) -> Bool {
        path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }

    static func realpath(_ path: String) -> String? {
        guard let resolved = Foundation.realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Whether something (a file, a directory, or a symlink, even a dangling one) is at `path`.
    static func lstatExists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }
}
