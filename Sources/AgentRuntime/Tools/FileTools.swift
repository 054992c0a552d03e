import Foundation
import NIOPosix
import OpenAIWire

/// A tool whose work is blocking filesystem calls (`stat`, `realpath`, `open`, `read`,
/// `rename`). It runs on NIO's thread pool for blocking I/O, never on an event loop: a large
/// file, a slow disk or a hung network filesystem must not stall the other connections served
/// by the loop the run happens to be on.
protocol FileSystemTool: AgentTool {
    func perform(_ arguments: ToolArguments, context: ToolContext) throws -> String
}

extension FileSystemTool {
    func run(_ arguments: ToolArguments, context: ToolContext) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { try perform(arguments, context: context) }
    }
}

/// Limits shared by the file tools.
enum FileToolLimits {
    /// Largest file `read` and `edit` will load.
    static let maxFileBytes = 10 * 1024 * 1024
    /// Most text one `read` returns; longer results say how to read on.
    static let maxReadBytes = 128 * 1024
    static let defaultReadLines = 2000
    static let maxListEntries = 1000
}

/// `read {path, offset?, limit?}`: a text file's lines, numbered from 1.
struct ReadTool: FileSystemTool {
    let name = "read"
    let description =
        "Read a text file from the workspace. Returns numbered lines. Use offset (1-based first line) and limit (number of lines) for long files."
    let ownerOnly = false
    var parameters: JSONValue {
        Schema.object(
            [
                "path": Schema.string("File path relative to the workspace."),
                "offset": Schema.integer("First line to return, 1-based (default 1)."),
                "limit": Schema.integer("Most lines to return (default 2000)."),
            ], required: ["path"])
    }

    func perform(_ arguments: ToolArguments, context: ToolContext) throws -> String {
        let path = try context.workspace.resolve(try arguments.string("path"))
        let offset = try arguments.optionalInt("offset", in: 1...Int(Int32.max)) ?? 1
        let limit = try arguments.optionalInt("limit", in: 1...100_000) ?? FileToolLimits.defaultReadLines
        let text = try readText(path, shown: try arguments.string("path"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let total = text.hasSuffix("\n") ? lines.count - 1 : lines.count
        guard total > 0 else { return "(empty file)" }
        guard offset <= total else { throw ToolFailure("offset \(offset) is past the end of the file (\(total) lines)") }
        var out = ""
        var last = offset - 1
        for index in (offset - 1)..<min(total, offset - 1 + limit) {
            let line = "\(index + 1)\t\(lines[index])\n"
            if out.utf8.count + line.utf8.count > FileToolLimits.maxReadBytes { break }
            out += line
            last = index + 1
        }
        if last < total {
            out += "[\(total - last) more lines; call read with offset \(last + 1) to continue]\n"
        }
        return out
    }
}

/// `write {path, content}`: creates or replaces a file (and its parent directories), atomically.
struct WriteTool: FileSystemTool {
    let name = "write"
    let description = "Create or overwrite a file in the workspace with the given content."
    let ownerOnly = true
    var parameters: JSONValue {
        Schema.object(
            [
                "path": Schema.string("File path relative to the workspace."),
                "content": Schema.string("The complete new content of the file."),
            ], required: ["path", "content"])
    }

    func perform(_ arguments: ToolArguments, context: ToolContext) throws -> String {
        let shown = try arguments.string("path")
        let content = try arguments.string("content")
        let path = try context.workspace.resolve(shown)
        try writeText(content, to: path, shown: shown)
        return "Wrote \(content.utf8.count) bytes to \(shown)."
    }
}

/// `edit {path, old_text, new_text}`: replaces one exact, unique occurrence.
struct EditTool: FileSystemTool {
    let name = "edit"
    let description =
        "Replace text in a workspace file. old_text must match exactly once (include surrounding lines to make it unique)."
    let ownerOnly = true
    var parameters: JSONValue {
        Schema.object(
            [
                "path": Schema.string("File path relative to the workspace."),
                "old_text": Schema.string("The exact text to replace; must occur exactly once."),
                "new_text": Schema.string("The replacement text."),
            ], required: ["path", "old_text", "new_text"])
    }

    func perform(_ arguments: ToolArguments, context: ToolContext) throws -> String {
        let shown = try arguments.string("path")
        let oldText = try arguments.string("old_text")
        let newText = try arguments.string("new_text")
        guard !oldText.isEmpty else { throw ToolFailure("old_text must not be empty") }
        let path = try context.workspace.resolve(shown)
        let text = try readText(path, shown: shown)
        let matches = text.ranges(of: oldText)
        guard let range = matches.first else { throw ToolFailure("old_text was not found in \(shown)") }
        guard matches.count == 1 else {
            throw ToolFailure("old_text occurs \(matches.count) times in \(shown); include more context to make it unique")
        }
        try writeText(text.replacingCharacters(in: range, with: newText), to: path, shown: shown)
        return "Edited \(shown)."
    }
}

/// `ls {path?}`: the entries of a workspace directory, directories marked with `/`.
struct ListTool: FileSystemTool {
    let name = "ls"
    let description = "List a directory in the workspace (default: the workspace itself). Directories end with '/'."
    let ownerOnly = false
    var parameters: JSONValue {
        Schema.object(["path": Schema.string("Directory path relative to the workspace (default '.').")])
    }

    func perform(_ arguments: ToolArguments, context: ToolContext) throws -> String {
        let shown = try arguments.optionalString("path") ?? "."
        let path = try context.workspace.resolve(shown)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ToolFailure("\(shown) does not exist")
        }
        guard isDirectory.boolValue else { throw ToolFailure("\(shown) is not a directory") }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
        } catch {
            throw ToolFailure("cannot list \(shown): \(error.localizedDescription)")
        }
        if names.isEmpty { return "(empty directory)" }
        var lines: [String] = []
        for name in names.prefix(FileToolLimits.maxListEntries) {
            var info = stat()
            let full = path + "/" + name
            let isDir = stat(full, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
            lines.append(isDir ? name + "/" : name)
        }
        if names.count > FileToolLimits.maxListEntries {
            lines.append("[\(names.count - FileToolLimits.maxListEntries) more entries not shown]")
        }
        return lines.joined(separator: "\n")
    }
}

/// Reads a UTF-8 text file that passed the workspace check.
func readText(_ path: String, shown: String) throws(ToolFailure) -> String {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw ToolFailure("\(shown) does not exist")
    }
    if isDirectory.boolValue { throw ToolFailure("\(shown) is a directory; use ls") }
    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
    // A FIFO, socket or device has no contents to read as a file (and a FIFO would wait).
    if let type = attributes?[.type] as? FileAttributeType, type != .typeRegular {
        throw ToolFailure("\(shown) is not a regular file")
    }
    if let size = attributes?[.size] as? Int, size > FileToolLimits.maxFileBytes {
        throw ToolFailure("\(shown) is too large (\(size) bytes; the limit is \(FileToolLimits.maxFileBytes))")
    }
    guard let data = FileManager.default.contents(atPath: path) else { throw ToolFailure("cannot read \(shown)") }
    guard let text = String(data: data, encoding: .utf8) else { throw ToolFailure("\(shown) is not UTF-8 text") }
    return text
}

/// Writes through a temporary file and a rename, so a reader never sees half a file.
func writeText(_ text: String, to path: String, shown: String) throws(ToolFailure) {
    let directory = (path as NSString).deletingLastPathComponent
    do {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
        throw ToolFailure("cannot write \(shown): \(error.localizedDescription)")
    }
}
