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

extension OpenAISDKTests {
    @Test("P/Q: models.list, responses.create (text, previous_response_id, function call) and responses.stream")
    func responses() async throws {
        try await FakeUpstream.with { upstream in
            let config = TestGateway.config(upstream: upstream).replacingOccurrences(
                of: "endpoints: { chatCompletions: { enabled: true } }",
                with: "endpoints: { chatCompletions: { enabled: true }, responses: { enabled: true } }")
            try await TestGateway.with(config: config) { gateway in
                // Calls 1-3 echo; call 4 asks for the client tool; call 5 echoes the tool result.
                let output = try await SDKScript.run(
                    "responses.py", arguments: [gateway.baseURL + "/v1", TestGateway.token]) {
                        try await eventuallyEnqueue(upstream, after: 3)
                    }
                let json = try JSONValue.parse(Data(output.utf8))
                #expect(json["models"]?.arrayValue?.compactMap(\.stringValue) == ["openclaw", "openclaw/default", "openclaw/main"])
                #expect(json["model"]?.stringValue == "openclaw/main")
                #expect(json["first_text"]?.stringValue == "echo: hello")
                #expect(json["first_status"]?.stringValue == "completed")
                #expect(json["first_usage"]?.doubleValue == 14)
                #expect(json["second_text"]?.stringValue == "echo: again")
                #expect(json["stream_text"]?.stringValue == "echo: streamed")
                #expect(json["stream_final_text"]?.stringValue == "echo: streamed")
                let types = json["stream_types"]?.arrayValue?.compactMap(\.stringValue) ?? []
                #expect(types.first == "response.created")
                #expect(types.last == "response.completed")
                #expect(json["call"]?["name"]?.stringValue == "get_weather")
                #expect(json["call"]?["call_id"]?.stringValue == "call_sdk_r")
                #expect(json["call"]?["arguments"]?["city"]?.stringValue == "Rome")
                #expect(json["follow_text"]?.stringValue == "echo: hot")  // I5: a lone entry is its bare body
                // The follow-up continued the tool call's session: the stored call is in its history.
                let follow = try #require(await upstream.recorder.requests.last)
                #expect(follow.messages.contains { $0["content"]?.stringValue?.contains("tool_call id=call_sdk_r") == true })
                // previous_response_id continued the session: the second call saw "hello".
                let second = await upstream.recorder.requests[1]
                #expect(second.messages.contains { $0["content"]?.stringValue == "hello" })
            }
        }
    }

    /// Scripts the fake's 4th call (a tool call) once the first three have arrived.
    private func eventuallyEnqueue(_ upstream: FakeUpstream, after count: Int) async throws {
        _ = await eventually(timeout: .seconds(20)) { await upstream.recorder.requests.count >= count }
        await upstream.recorder.enqueue(
            .toolCalls("", [(id: "call_sdk_r", name: "get_weather", arguments: #"{"city":"Rome"}"#)]))
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

    /// Runs the script while `alongside` runs (to script the fake upstream as the script goes).
    static func run(
        _ script: String, arguments: [String], alongside: @Sendable () async throws -> Void
    ) async throws -> String {
        async let output = run(script, arguments: arguments)
        try await alongside()
        return try await output
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
