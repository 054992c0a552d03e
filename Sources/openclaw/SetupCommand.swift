import ArgumentParser
import Foundation
import GatewayConfig
import Logging

struct SetupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "Write a starter config (token auth with a random token, chat completions enabled) if none exists.")

    @OptionGroup var state: StateOptions

    func run() throws {
        let env = state.environment
        let (path, _) = ConfigLoader.configPath(explicit: state.config, environment: env, stateDir: state.statePaths.root)
        if FileManager.default.fileExists(atPath: path) {
            printFlushed("config: \(path) (exists, left unchanged)")
        } else {
            var bytes = [UInt8](repeating: 0, count: 24)
            var generator = SystemRandomNumberGenerator()
            for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &generator) }
            let token = bytes.map { String(format: "%02x", $0) }.joined()
            let text = """
                // swift-openclaw config (JSON5), written by `openclaw setup`.
                {
                  gateway: {
                    port: 18789,
                    bind: "loopback",
                    auth: { mode: "token", token: "\(token)" },
                    http: { endpoints: { chatCompletions: { enabled: true } } },
                  },
                  // With no model configured, agents use the embedded local model
                  // (local/smollm2-135m-instruct). To use an OpenAI-compatible server instead:
                  // models: { providers: { myserver: { baseUrl: "http://127.0.0.1:8000/v1", apiKey: "${MY_KEY}" } } },
                  // agents: { defaults: { model: "myserver/my-model" } },
                }

                """
            let directory = (path as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: [.atomic])
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            printFlushed("config: \(path) (created)")
        }
        let loaded = try ConfigLoader.load(path: path, isExplicit: true)
        switch loaded.config.gateway.auth.mode {
        case .token?, nil:
            if let token = loaded.config.gateway.auth.token {
                printFlushed("auth: Authorization: Bearer \(token)")
            } else {
                printFlushed("auth: token from OPENCLAW_GATEWAY_TOKEN")
            }
        case .password?:
            printFlushed("auth: Authorization: Bearer <gateway.auth.password>")
        case .none?, .trustedProxy?:
            printFlushed("auth: none")
        }
    }
}

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Inspect the config.", subcommands: [Validate.self])

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check the config; exit non-zero with the reason if it is bad.")
        @OptionGroup var state: StateOptions

        func run() throws {
            let logger = state.makeLogger(label: "openclaw.config")
            do {
                let loaded = try state.loadConfig(logger: logger)
                _ = try GatewaySettings.resolve(config: loaded.config, environment: state.environment)
                printFlushed("config OK: \(loaded.path ?? "(no file, defaults)")")
            } catch {
                fail("\(error)")
            }
        }
    }
}
