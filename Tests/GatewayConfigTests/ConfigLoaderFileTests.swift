import Foundation
import GatewayConfig
import Testing

/// D-9: where the config file is looked for, and what a missing file means.
@Suite struct ConfigLoaderFileTests {
    private func withTempDir(_ body: (String) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("openclaw-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try body(dir.path)
    }

    @Test("D-9: a missing explicit config path is an error naming the path")
    func missingExplicitPathFails() throws {
        try withTempDir { dir in
            let path = dir + "/nope.json"
            let error = try #require(throws: ConfigFileError.self) {
                try ConfigLoader.load(path: path, isExplicit: true)
            }
            #expect(error.path == path)
            #expect(error.description.contains(path))
            #expect(error.reason.contains("not found"))
        }
    }

    @Test("D-9: a missing default config path gives the defaults")
    func missingDefaultPathGivesDefaults() throws {
        try withTempDir { dir in
            let loaded = try ConfigLoader.load(path: dir + "/openclaw.json", isExplicit: false)
            #expect(loaded.path == nil)
            #expect(loaded.config == OpenClawConfig())
            #expect(loaded.unknownKeys.isEmpty)
        }
    }

    @Test("D-9: an existing file is read as JSON5 and its path recorded")
    func existingFileLoads() throws {
        try withTempDir { dir in
            let path = dir + "/openclaw.json"
            try Data("{ gateway: { port: 4242, }, // comment\n surprise: 1 }".utf8).write(to: URL(fileURLWithPath: path))
            let loaded = try ConfigLoader.load(path: path, isExplicit: false)
            #expect(loaded.path == path)
            #expect(loaded.config.gateway.port == 4242)
            #expect(loaded.unknownKeys == ["surprise"])
        }
    }

    @Test("D-9: a bad value in a file on disk surfaces as a ConfigError")
    func badValueInFile() throws {
        try withTempDir { dir in
            let path = dir + "/openclaw.json"
            try Data(#"{gateway: {port: "abc"}}"#.utf8).write(to: URL(fileURLWithPath: path))
            let error = try #require(throws: ConfigError.self) { try ConfigLoader.load(path: path, isExplicit: true) }
            #expect(error.path == "gateway.port")
        }
    }

    @Test("D-9: config path precedence is --config, then OPENCLAW_CONFIG_PATH, then <stateDir>/openclaw.json")
    func configPathPrecedence() {
        let env = ["OPENCLAW_CONFIG_PATH": "/env/openclaw.json"]
        let explicit = ConfigLoader.configPath(explicit: "/cli/c.json", environment: env, stateDir: "/state")
        #expect(explicit.path == "/cli/c.json")
        #expect(explicit.isExplicit)
        let fromEnv = ConfigLoader.configPath(explicit: nil, environment: env, stateDir: "/state")
        #expect(fromEnv.path == "/env/openclaw.json")
        #expect(fromEnv.isExplicit)
        let fallback = ConfigLoader.configPath(explicit: "", environment: [:], stateDir: "/state")
        #expect(fallback.path == "/state/openclaw.json")
        #expect(!fallback.isExplicit)
    }

    @Test("D-9: state directory is --state-dir, then OPENCLAW_STATE_DIR, then ~/.openclaw; database is state.db")
    func statePaths() {
        #expect(StatePaths.resolve(explicit: "/s", environment: ["OPENCLAW_STATE_DIR": "/e"]).root == "/s")
        #expect(StatePaths.resolve(explicit: nil, environment: ["OPENCLAW_STATE_DIR": "/e"]).root == "/e")
        let home = StatePaths.resolve(explicit: nil, environment: ["HOME": "/home/u"])
        #expect(home.root == "/home/u/.openclaw")
        #expect(home.database == "/home/u/.openclaw/state.db")
        #expect(StatePaths.resolve(explicit: "~/x", environment: ["HOME": "/home/u"]).root == "/home/u/x")
    }
}
