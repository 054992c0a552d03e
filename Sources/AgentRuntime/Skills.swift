import Foundation

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
