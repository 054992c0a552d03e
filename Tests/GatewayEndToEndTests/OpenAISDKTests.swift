import Foundation
import OpenAIWire
import Testing

/// What real clients see: scripts/sdk/*.py run with the official OpenAI Python SDK (installed by
/// `make test` through scripts/setup-python-sdk.sh, which sets OPENCLAW_TEST_PYTHON).
@Suite(
    "The official OpenAI Python SDK against the gateway",
    .enabled(if: SDKScript.python != nil, "OPENCLAW_TEST_PYTHON is not set (run `make test`)"))
struct OpenAISDKTests {
    @Test("K1-K3/M7: client tool round trip with the OpenAI SDK, non-stream and stream")
    func clientToolRoundTrip() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            await upstream.recorder.enqueue(
                .toolCalls("", [(id: "call_sdk1", name: "get_weather", arguments: #"{"city":"Paris"}"#)]),
                .text("It is sunny in Paris."),
                .toolCalls("Looking.", [(id: "call_sdk2", name: "get_weather", arguments: #"{"city":"Oslo"}"#)]))
            let output = try await SDKScript.run(
                "client_tools.py", arguments: [gateway.baseURL + "/v1", TestGateway.token])
            let json = try JSONValue.parse(Data(output.utf8))
            #expect(json["finish_reason"]?.stringValue == "tool_calls")
            #expect(json["call"]?["id"]?.stringValue == "call_sdk1")
            #expect(json["call"]?["name"]?.stringValue == "get_weather")
            #expect(json["call"]?["arguments"]?["city"]?.stringValue == "Paris")
            #expect(json["answer"]?.stringValue == "It is sunny in Paris.")
            #expect(json["answer_finish_reason"]?.stringValue == "stop")
            #expect(json["stream_finish_reason"]?.stringValue == "tool_calls")
            #expect(json["stream_calls"]?[0]?["id"]?.stringValue == "call_sdk2")
            #expect(json["stream_calls"]?[0]?["arguments"]?["city"]?.stringValue == "Oslo")
            // The follow-up carried the tool result as the current message (I5).
            let followUp = await upstream.recorder.requests[1]
            #expect(followUp.lastContent.hasSuffix("Tool:call_sdk1: sunny, 21C"))
        }
    }
}

/// Runs a script of scripts/sdk with the SDK's python; returns its stdout.
enum SDKScript {
    static let python = ProcessInfo.processInfo.environment["OPENCLAW_TEST_PYTHON"].flatMap {
        FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil
    }

    static var scriptsDirectory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/sdk").path
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func run(_ script: String, arguments: [String]) async throws -> String {
        guard let python else { throw Failure(description: "no python") }
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Result {
                        let process = Process()
                        process.executableURL = URL(fileURLWithPath: python)
                        process.arguments = [scriptsDirectory + "/" + script] + arguments
                        let out = Pipe()
                        let err = Pipe()
                        process.standardOutput = out
                        process.standardError = err
                        try process.run()
                        let stdout = out.fileHandleForReading.readDataToEndOfFile()
                        let stderr = err.fileHandleForReading.readDataToEndOfFile()
                        process.waitUntilExit()
                        guard process.terminationStatus == 0 else {
                            throw Failure(
                                description: "\(script) exited \(process.terminationStatus): "
                                    + String(decoding: stderr.suffix(2000), as: UTF8.self))
                        }
                        return String(decoding: stdout, as: UTF8.self)
                    })
            }
        }
    }
}
