import Foundation
import OpenAIWire
import SessionStore
import Testing

/// V5, U1, D-10: the agent's own tools and the tool loop, driven over HTTP by a fake upstream
/// that is scripted to call tools.
@Suite("Agent tools and the tool loop over HTTP")
struct ToolLoopTests {
    static func workspace(_ gateway: TestGateway) throws -> String {
        let path = gateway.statePaths.path("workspace")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func call(_ name: String, _ arguments: JSONValue, id: String = "call_1") -> (
        id: String, name: String, arguments: String
    ) {
        (id, name, arguments.jsonString())
    }

    /// The tool results the upstream received in its last request.
    static func toolResults(_ upstream: FakeUpstream) async -> [String] {
        await upstream.recorder.requests.last?.toolMessages.compactMap { $0["content"]?.stringValue } ?? []
    }

    @Test("V5: read returns a workspace file's numbered lines to the model, which then answers")
    func readToolLoop() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            let ws = try Self.workspace(gateway)
            try "alpha\nbeta\n".write(toFile: ws + "/notes.txt", atomically: true, encoding: .utf8)
            await upstream.recorder.enqueue(
                .toolCalls("Let me look.", [Self.call("read", .object(["path": .string("notes.txt")]))]),
                .text("The file says alpha and beta."))
            let r = try await gateway.chat(chatBody("what is in notes.txt?", extra: #","user":"reader""#))
            #expect(r.status == 200)
            let message = r.json?["choices"]?[0]?["message"]
            #expect(message?["content"]?.stringValue == "Let me look.\n\nThe file says alpha and beta.")
            #expect(r.json?["choices"]?[0]?["finish_reason"]?.stringValue == "stop")
            let requests = await upstream.recorder.requests
            #expect(requests.count == 2)
            // The second call carries the assistant tool call and the tool result.
            let second = try #require(requests.last)
            let assistant = second.messages.first { $0["role"]?.stringValue == "assistant" }
            #expect(assistant?["tool_calls"]?[0]?["function"]?["name"]?.stringValue == "read")
            #expect(second.toolMessages.first?["tool_call_id"]?.stringValue == "call_1")
            #expect(await Self.toolResults(upstream) == ["1\talpha\n2\tbeta\n"])
        }
    }

    @Test("S/V5: every tool call and result is stored in the session transcript, in order")
    func transcriptStoresToolCalls() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            _ = try Self.workspace(gateway)
            await upstream.recorder.enqueue(
                .toolCalls("", [Self.call("current_time", .object([:]), id: "call_t")]), .text("It is now."))
            let r = try await gateway.chat(chatBody("time?", extra: #","user":"clock""#))
            #expect(r.status == 200)
            let store = try SQLiteSessionStore(path: gateway.statePaths.database)
            let history = try await store.history(sessionKey: "agent:main:openai-user:clock", limit: 10)
            #expect(history.map(\.role) == [.user, .assistant, .toolResult, .assistant])
            #expect(history[1].toolCalls.map(\.name) == ["current_time"])
            #expect(history[2].toolCallId == "call_t")
            #expect(history[2].toolName == "current_time")
            #expect(history[2].content.contains("\"iso\":\""))
            #expect(history[3].content == "It is now.")
            // A second turn sends the stored tool exchange back as proper tool messages.
            await upstream.recorder.enqueue(.text("again"))
            _ = try await gateway.chat(chatBody("and now?", extra: #","user":"clock""#))
            let last = try #require(await upstream.recorder.requests.last)
            #expect(last.toolMessages.first?["tool_call_id"]?.stringValue == "call_t")
        }
    }

    @Test(
        "V5: paths that leave the workspace are refused with a clear tool error",
        arguments: [
            ("../outside.txt", "leaves the workspace"),
            ("sub/../../outside.txt", "leaves the workspace"),
            ("/etc/hostname", "is absolute"),
            ("escape/outside.txt", "through a symbolic link"),
            ("link.txt", "through a symbolic link"),
        ])
    func pathEscapes(path: String, reason: String) async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            let ws = try Self.workspace(gateway)
            let outsideDir = (ws as NSString).deletingLastPathComponent
            try "TOP SECRET".write(toFile: outsideDir + "/outside.txt", atomically: true, encoding: .utf8)
            try FileManager.default.createSymbolicLink(atPath: ws + "/escape", withDestinationPath: outsideDir)
            try FileManager.default.createSymbolicLink(
                atPath: ws + "/link.txt", withDestinationPath: outsideDir + "/outside.txt")
            await upstream.recorder.enqueue(
                .toolCalls("", [Self.call("read", .object(["path": .string(path)]))]), .text("ok"))
            let r = try await gateway.chat(chatBody("read it"))
            #expect(r.status == 200)
            let results = await Self.toolResults(upstream)
            #expect(results.count == 1)
            #expect(results.first?.hasPrefix("Error: ") == true)
            #expect(results.first?.contains(reason) == true, "\(results)")
            #expect(results.first?.contains("TOP SECRET") == false)
        }
    }

    @Test("V5: read refuses a FIFO in the workspace as not a regular file, without waiting for a writer")
    func readRefusesFIFO() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            let ws = try Self.workspace(gateway)
            #expect(mkfifo(ws + "/pipe", 0o600) == 0)
            await upstream.recorder.enqueue(
                .toolCalls("", [Self.call("read", .object(["path": .string("pipe")]))]), .text("ok"))
            let r = try await gateway.chat(chatBody("read the pipe"))
            #expect(r.status == 200)
            #expect(await Self.toolResults(upstream) == ["Error: pipe is not a regular file"])
        }
    }

    @Test("V5: write refuses a symlinked directory that leaves the workspace, and nothing is written outside")
    func writeEscapeRefused() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            let ws = try Self.workspace(gateway)
            let outside = FileManager.default.temporaryDirectory.appendingPathComponent("oc-out-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: outside) }
            try FileManager.default.createSymbolicLink(atPath: ws + "/out", withDestinationPath: outside)
            await upstream.recorder.enqueue(
                .toolCalls(
                    "",
                    [
                        Self.call(
                            "write", .object(["path": .string("out/new.txt"), "content": .string("x")]), id: "c1"),
                        Self.call(
                            "write", .object(["path": .string("in/new.txt"), "content": .string("hello")]), id: "c2"),
                    ]), .text("done"))
            let r = try await gateway.chat(chatBody("write"))
            #expect(r.status == 200)
            let results = await Self.toolResults(upstream)
            #expect(results.count == 2)
            #expect(results[0].contains("leaves the workspace"))
            #expect(results[1] == "Wrote 5 bytes to in/new.txt.")
            #expect(!FileManager.default.fileExists(atPath: outside + "/new.txt"))
            #expect((try? String(contentsOfFile: ws + "/in/new.txt", encoding: .utf8)) == "hello")
        }
    }

    @Test("V5: edit replaces a unique occurrence and refuses an ambiguous one; ls lists the workspace")
    func editAndList() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            let ws = try Self.workspace(gateway)
            try "a = 1\nb = 1\n".write(toFile: ws + "/conf.txt", atomically: true, encoding: .utf8)
            try FileManager.default.createDirectory(atPath: ws + "/dir", withIntermediateDirectories: true)
            await upstream.recorder.enqueue(
                .toolCalls(
                    "",
                    [
                        Self.call(
                            "edit",
                            .object([
                                "path": .string("conf.txt"), "old_text": .string("= 1"), "new_text": .string("= 2"),
                            ]), id: "e1"),
                        Self.call(
                            "edit",
                            .object([
                                "path": .string("conf.txt"), "old_text": .string("b = 1"),
                                "new_text": .string("b = 3"),
                            ]), id: "e2"),
                        Self.call("ls", .object([:]), id: "l1"),
                    ]), .text("done"))
            _ = try await gateway.chat(chatBody("edit"))
            let results = await Self.toolResults(upstream)
            #expect(results.count == 3)
            #expect(results[0].contains("occurs 2 times"))
            #expect(results[1] == "Edited conf.txt.")
            #expect(results[2] == "conf.txt\ndir/")
            #expect((try? String(contentsOfFile: ws + "/conf.txt", encoding: .utf8)) == "a = 1\nb = 3\n")
        }
    }

    @Test("V5: exec runs in the workspace and reports output and exit status")
    func execRuns() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            let ws = try Self.workspace(gateway)
            await upstream.recorder.enqueue(
                .toolCalls("", [Self.call("exec", .object(["command": .string("pwd; echo oops >&2; exit 3")]))]),
                .text("done"))
            _ = try await gateway.chat(chatBody("run"))
            let result = try #require(await Self.toolResults(upstream).first)
            let real = try #require(realpath(ws, nil).map { p in defer { free(p) }; return String(cString: p) })
            #expect(result == "\(real)\noops\n[exit status 3]")
        }
    }

    @Test("V5: exec is killed with its whole process group on timeout; the output is capped")
    func execTimeoutKillsGroup() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            _ = try Self.workspace(gateway)
            let marker = "31.\(Int.random(in: 1000...9999))"
            await upstream.recorder.enqueue(
                .toolCalls(
                    "",
                    [
                        Self.call(
                            "exec",
                            .object([
                                "command": .string("sleep \(marker) & head -c 100000 /dev/zero | tr '\\0' x; sleep \(marker)"),
                                "timeout_seconds": .number(1),
                            ]))
                    ]), .text("done"))
            let started = ContinuousClock.now
            let r = try await gateway.chat(chatBody("run"))
            #expect(r.status == 200)
            #expect(ContinuousClock.now - started < .seconds(10))
            let result = try #require(await Self.toolResults(upstream).first)
            #expect(result.contains("[killed: the command did not finish within 1 s]"))
            #expect(result.contains("[output truncated: \(100_000 - 65_536) more bytes not shown]"))
            #expect(await eventually { !ProcessProbe.running(containing: "sleep \(marker)") })
        }
    }

    @Test("V5: a background job left by exec does not outlive the call")
    func execBackgroundJobKilled() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            _ = try Self.workspace(gateway)
            let marker = "32.\(Int.random(in: 1000...9999))"
            await upstream.recorder.enqueue(
                .toolCalls("", [Self.call("exec", .object(["command": .string("sleep \(marker) & echo started")]))]),
                .text("done"))
            let started = ContinuousClock.now
            _ = try await gateway.chat(chatBody("run"))
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(await Self.toolResults(upstream).first == "started\n[exit status 0]")
            #expect(await eventually { !ProcessProbe.running(containing: "sleep \(marker)") })
        }
    }

    @Test("O2/V5: a client that disconnects during exec cancels the run and kills the command")
    func execCancelledByDisconnect() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            _ = try Self.workspace(gateway)
            let marker = "33.\(Int.random(in: 1000...9999))"
            await upstream.recorder.enqueue(
                .toolCalls("", [Self.call("exec", .object(["command": .string("sleep \(marker)")]))]),
                .text("never"))
            let client = Task { try await gateway.chat(chatBody("run", stream: true)) }
            #expect(await eventually { ProcessProbe.running(containing: "sleep \(marker)") })
            client.cancel()
            _ = try? await client.value
            #expect(await eventually { !ProcessProbe.running(containing: "sleep \(marker)") })
            // The executed call is still recorded (a side effect is never hidden).
            #expect(
                await eventually {
                    let sessions = (try? await SessionStoreProbe.sessions(gateway)) ?? []
                    return sessions.first?.messageCount == 3
                })
            #expect(await upstream.recorder.requests.count == 1)
        }
    }

    @Test("V5: the loop stops at agents.defaults.maxToolIterations and says so")
    func iterationLimit() async throws {
        try await FakeUpstream.with { upstream in
            let config = TestGateway.config(upstream: upstream).replacingOccurrences(
                of: #"defaults: { model: "fake/echo" }"#,
                with: #"defaults: { model: "fake/echo", maxToolIterations: 2 }"#)
            try await TestGateway.with(config: config) { gateway in
                for i in 1...3 {
                    await upstream.recorder.enqueue(
                        .toolCalls("step \(i)", [Self.call("current_time", .object([:]), id: "c\(i)")]))
                }
                let r = try await gateway.chat(chatBody("loop", extra: #","user":"loop""#))
                #expect(r.status == 200)
                let content = r.json?["choices"]?[0]?["message"]?["content"]?.stringValue ?? ""
                #expect(content.hasSuffix("[Stopped: the agent reached its limit of 2 tool iterations.]"))
                #expect(await upstream.recorder.requests.count == 3)
                let store = try SQLiteSessionStore(path: gateway.statePaths.database)
                let history = try await store.history(sessionKey: "agent:main:openai-user:loop", limit: 20)
                // user, 3 × (assistant + result); the third result records that it was not executed.
                #expect(history.count == 7)
                #expect(history.last?.content == "Not executed: the tool iteration limit was reached.")
            }
        }
    }

    @Test("L3/D-10: usage is summed over every model call of the run")
    func usageSummed() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            await upstream.recorder.enqueue(
                .toolCalls("", [Self.call("current_time", .object([:]))]), .text("now"))
            let r = try await gateway.chat(chatBody("time"))
            let usage = r.json?["usage"]
            #expect(usage?["prompt_tokens"]?.doubleValue == 22)
            #expect(usage?["completion_tokens"]?.doubleValue == 6)
            #expect(usage?["total_tokens"]?.doubleValue == 28)
        }
    }

    @Test("V5: session_status reports the agent, session and the run's usage so far")
    func sessionStatus() async throws {
        try await TestGateway.withUpstream { gateway, upstream in
            await upstream.recorder.enqueue(
                .toolCalls("", [Self.call("session_status", .object([:]))]), .text("ok"))
            _ = try await gateway.chat(chatBody("status", extra: #","user":"stat""#))
            let result = try #require(await Self.toolResults(upstream).first)
            let json = try JSONValue.parse(Data(result.utf8))
            #expect(json["agentId"]?.stringValue == "main")
            #expect(json["sessionKey"]?.stringValue == "agent:main:openai-user:stat")
            #expect(json["model"]?.stringValue == "fake/echo")
            #expect(json["runUsage"]?["inputTokens"]?.doubleValue == 11)
        }
    }

    @Test("streamToolActivity: tool starts and ends are SSE comment lines only when enabled")
    func streamToolActivity() async throws {
        for enabled in [false, true] {
            try await FakeUpstream.with { upstream in
                let config = TestGateway.config(upstream: upstream).replacingOccurrences(
                    of: "chatCompletions: { enabled: true }",
                    with: "chatCompletions: { enabled: true, streamToolActivity: \(enabled) }")
                try await TestGateway.with(config: config) { gateway in
                    await upstream.recorder.enqueue(
                        .toolCalls("", [Self.call("current_time", .object([:]), id: "call_ct")]), .text("now"))
                    let (r, events) = try await gateway.stream(chatBody("time", stream: true))
                    let comments = r.body.components(separatedBy: "\n").filter { $0.hasPrefix(": openclaw.tool ") }
                    if enabled {
                        #expect(comments.count == 2)
                        let start = try JSONValue.parse(Data(comments[0].dropFirst(16).utf8))
                        let end = try JSONValue.parse(Data(comments[1].dropFirst(16).utf8))
                        #expect(start["phase"]?.stringValue == "start")
                        #expect(start["name"]?.stringValue == "current_time")
                        #expect(start["call_id"]?.stringValue == "call_ct")
                        #expect(end["phase"]?.stringValue == "end")
                        #expect(end["is_error"]?.boolValue == false)
                    } else {
                        #expect(comments.isEmpty)
                        #expect(!r.body.contains("openclaw.tool"))
                    }
                    // Standard clients see the same data events either way.
                    #expect(events.last == "[DONE]")
                    let text = events.compactMap { try? JSONValue.parse(Data($0.utf8)) }
                        .compactMap { $0["choices"]?[0]?["delta"]?["content"]?.stringValue }.joined()
                    #expect(text == "now")
                }
            }
        }
    }
}

/// Looks for processes by command line (tests that check nothing is left behind).
enum ProcessProbe {
    static func running(containing text: String) -> Bool {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return false }
        for pid in entries where Int(pid) != nil {
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else {
                continue
            }
            let command = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            if command.contains(text), !isZombie(pid) { return true }
        }
        return false
    }

    private static func isZombie(_ pid: String) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        return stat[stat.index(close, offsetBy: 2)] == "Z"
    }
}
