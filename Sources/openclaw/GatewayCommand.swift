import ArgumentParser
import Foundation
import Gateway
import GatewayConfig
import Logging

struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway", abstract: "Run the gateway in the foreground (HTTP + WebSocket on one port).")

    @OptionGroup var state: StateOptions

    @Option(name: .long, help: "Port (0 picks a free one). Default: $OPENCLAW_GATEWAY_PORT, gateway.port, 18789.")
    var port: Int?

    @Option(name: .long, help: "Bind mode: loopback, lan, custom.")
    var bind: BindMode?

    @Option(name: .long, help: "Host address to bind (implies --bind custom).")
    var host: String?

    func run() async throws {
        let logger = state.makeLogger(label: "openclaw.gateway")
        let options: GatewayOptions
        do {
            let loaded = try state.loadConfig(logger: logger)
            if let port, !(0...65535).contains(port) {
                throw StartupError(path: "--port", value: "\(port)", reason: "expected a port 0-65535")
            }
            let settings = try GatewaySettings.resolve(
                config: loaded.config, environment: state.environment,
                overrides: .init(port: port, bind: bind, host: host))
            options = GatewayOptions(
                settings: settings, config: loaded.config, statePaths: state.statePaths,
                environment: state.environment)
            logger.info(
                "starting gateway",
                metadata: [
                    "config.path": "\(loaded.path ?? "(none, defaults)")", "state.dir": "\(state.statePaths.root)",
                    "auth.mode": "\(settings.auth.mode.rawValue)",
                    "chatCompletions.enabled": "\(settings.chatCompletionsEnabled)",
                ])
        } catch {
            fail("\(error)")
        }
        let host = options.settings.host
        do {
            try await GatewayServer(options: options, logger: logger).run { port in
                let shown = host.contains(":") ? "[\(host)]" : host
                printFlushed("listening on http://\(shown):\(port)")
            }
        } catch {
            fail("gateway stopped: \(error)")
        }
        logger.info("gateway stopped")
    }
}

extension BindMode: ExpressibleByArgument {}
