import Foundation
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A skill found at `<workspace>/skills/<folder>/SKILL.md` (V5).
public struct Skill: Sendable, Equatable {
    public var name: String
    public var description: String
    /// Path of the SKILL.md file, relative to the workspace.
    public var path: String
}

/// Reads the skills snapshot: name and description from each SKILL.md's front matter.
public enum SkillsSnapshot {
    /// Skills in folder order; `only` (the agent's `skills` setting) keeps just those names.
    public static func load(workspace: String, only: [String]? = nil) -> [Skill] {
        let directory = workspace + "/skills"
        // Most workspaces have no skills: one stat instead of Foundation's directory listing.
        var info = stat()
        guard stat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { return [] }
        guard let folders = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var skills: [Skill] = []
        for folder in folders.sorted() where !folder.hasPrefix(".") {
            let file = "\(directory)/\(folder)/SKILL.md"
            guard let data = FileManager.default.contents(atPath: file), data.count <= 256 * 1024,
                let text = String(data: data, encoding: .utf8)
            else { continue }
            let front = frontMatter(text)
            let name = front["name"].flatMap { $0.isEmpty ? nil : $0 } ?? folder
            if let only, !only.contains(name), !only.contains(folder) { continue }
            skills.append(Skill(name: name, description: front["description"] ?? "", path: "skills/\(folder)/SKILL.md"))
        }
        return skills
    }

    /// `key: value` pairs of a leading `---` … `---` block (single-line values; quotes removed).
    static func frontMatter(_ text: String) -> [String: String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces.union(.init(charactersIn: "\r")))
        }[...]
        guard lines.first == "---" else { return [:] }
        lines = lines.dropFirst()
        var values: [String: String] = [:]
        for line in lines {
            if line == "---" { break }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            values[key] = value
        }
        return values
    }
}

/// The skills snapshots of the runtime's workspaces, kept in memory and read from disk on NIO's
/// thread pool for blocking I/O, never on an event loop.
///
/// Reading a snapshot is blocking filesystem work (a `stat`, and with skills a directory
/// listing and one file per skill). A workspace's first run waits for its snapshot; later runs
/// take the one in memory, and one that finds it older than `maxAge` also has it read again in
/// the background, for the runs after it. A skill added, changed or removed is therefore seen
/// by runs that start a little over `maxAge` later, and no run waits for the disk again.
final class SkillsCache: Sendable {
    private struct Entry {
        var skills: [Skill]
        var readAt: ContinuousClock.Instant
        var refreshing = false
    }

    let maxAge: Duration
    private let entries = Mutex<[String: Entry]>([:])

    init(maxAge: Duration = .seconds(1)) {
        self.maxAge = maxAge
    }

    func skills(workspace: String, only: [String]?) async -> [Skill] {
        let key = only.map { workspace + "\u{0}" + $0.joined(separator: "\u{0}") } ?? workspace
        let now = ContinuousClock.now
        let (cached, stale) = entries.withLock { entries -> ([Skill]?, Bool) in
            guard var entry = entries[key] else { return (nil, false) }
            guard now - entry.readAt >= maxAge, !entry.refreshing else { return (entry.skills, false) }
            entry.refreshing = true
            entries[key] = entry
            return (entry.skills, true)
        }
        if let cached {
            if stale {
                NIOThreadPool.singleton.submit { state in
                    // A pool that is not running calls back at once, on this thread: no I/O then.
                    guard state == .active else {
                        self.entries.withLock { $0[key]?.refreshing = false }
                        return
                    }
                    self.read(key, workspace: workspace, only: only)
                }
            }
            return cached
        }
        return (try? await NIOThreadPool.singleton.runIfActive { self.read(key, workspace: workspace, only: only) }) ?? []
    }

    /// Reads the snapshot and keeps it. Runs on the thread pool.
    @discardableResult
    private func read(_ key: String, workspace: String, only: [String]?) -> [Skill] {
        let readAt = ContinuousClock.now
        let skills = SkillsSnapshot.load(workspace: workspace, only: only)
        entries.withLock { $0[key] = Entry(skills: skills, readAt: readAt) }
        return skills
    }
}
