import Foundation
import OpenAIWire

/// A config file read from disk: the values, where they came from, and unknown-key warnings.
public struct LoadedConfig: Sendable {
    public var config: OpenClawConfig
    /// The file read, or nil when none existed and defaults apply.
    public var path: String?
    /// Key paths swift-openclaw does not know (D-9), reported once at start-up.
    public var unknownKeys: [String]

    public init(config: OpenClawConfig = OpenClawConfig(), path: String? = nil, unknownKeys: [String] = []) {
        self.config = config
        self.path = path
        self.unknownKeys = unknownKeys
    }
}

/// Reads `openclaw.json` (JSON5).
public enum ConfigLoader {
    /// Where the config lives: `--config`, then `OPENCLAW_CONFIG_PATH`, then `<stateDir>/openclaw.json`.
    public static func configPath(explicit: String?, environment: [String: String], stateDir: String) -> (
        path: String, isExplicit: Bool
    ) {
        if let explicit, !explicit.isEmpty { return (explicit, true) }
        if let env = environment["OPENCLAW_CONFIG_PATH"], !env.isEmpty { return (env, true) }
        return ((stateDir as NSString).appendingPathComponent("openclaw.json"), false)
    }

    /// Loads the config at `path`. A missing file is an error only when the path was given
    /// explicitly; otherwise defaults apply.
    public static func load(path: String, isExplicit: Bool) throws -> LoadedConfig {
        guard FileManager.default.fileExists(atPath: path) else {
            if isExplicit { throw ConfigFileError(path: path, reason: "file not found") }
            return LoadedConfig()
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigFileError(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        var loaded = try parse(data, path: path)
        loaded.path = path
        return loaded
    }

    /// Parses config text (JSON5).
    public static func parse(_ data: Data, path: String = "<config>") throws -> LoadedConfig {
        let tree: JSONValue
        do {
            tree = try JSONValue.parse(data, json5: true)
        } catch {
            throw ConfigFileError(path: path, reason: "not valid JSON5: \(error.message)")
        }
        let sink = WarningSink()
        let config = try ConfigParser.parse(ConfigNode(value: tree, path: "", sink: sink))
        return LoadedConfig(config: config, path: path, unknownKeys: sink.unknownKeys)
    }
}

/// The config file itself is unusable (missing, unreadable, not JSON5).
public struct ConfigFileError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "config \(path): \(reason)" }
}
