import ArgumentParser
import Foundation
import Gateway
import GatewayConfig
import Logging

struct OpenClawCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openclaw",
        abstract: "swift-openclaw: the OpenClaw Gateway — AI agents behind an OpenAI-compatible API.",
        subcommands: [
            GatewayCommand.self, AgentCommand.self, SetupCommand.self, ConfigCommand.self, SessionsCommand.self,
        ])
}

/// Options shared by every command that reads config and state.
struct StateOptions: ParsableArguments {
    @Option(name: .long, help: "Config file (JSON5). Default: $OPENCLAW_CONFIG_PATH or <state-dir>/openclaw.json.")
    var config: String?

    @Option(name: .long, help: "State directory. Default: $OPENCLAW_STATE_DIR or ~/.openclaw.")
    var stateDir: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical. Default: $LOG_LEVEL or info.")
    var logLevel: Logger.Level?

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    var statePaths: StatePaths { StatePaths.resolve(explicit: stateDir, environment: environment) }

    /// Loads the config, reporting unknown keys once (D-9).
    func loadConfig(logger: Logger) throws -> LoadedConfig {
        let (path, explicit) = ConfigLoader.configPath(
            explicit: config, environment: environment, stateDir: statePaths.root)
        let loaded = try ConfigLoader.load(path: path, isExplicit: explicit)
        for key in loaded.unknownKeys {
            logger.warning("unknown config key ignored", metadata: ["config.key": "\(key)"])
        }
        return loaded
    }

    func makeLogger(label: String) -> Logger {
        let level = logLevel ?? environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        LoggingSystem.bootstrap { label in
            var handler = DeferredMetadataLogHandler(StreamLogHandler.standardError(label: label))
            handler.logLevel = level
            return handler
        }
        return Logger(label: label)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Prints one line to stderr and exits non-zero (D-10, W3).
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data(("openclaw: " + message + "\n").utf8))
    exit(1)
}

/// Writes to stdout unbuffered, so a pipe sees the line at once.
func printFlushed(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
