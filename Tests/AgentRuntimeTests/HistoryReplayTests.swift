import ModelProviders
import SessionStore
import Testing

@testable import AgentRuntime

/// Stored transcripts replayed to providers: every tool call is answered and every tool result
/// follows its call, whatever the history window or a client-tool turn left behind.
@Suite struct HistoryReplayTests {
    private func call(_ id: String) -> StoredToolCall { StoredToolCall(id: id, name: "read", arguments: "{}") }

    @Test("paired calls and results replay as assistant tool_calls + tool messages")
    func paired() {
        let messages = AgentRuntime.chatMessages(from: [
            TranscriptMessage(role: .user, content: "q"),
            TranscriptMessage(role: .assistant, content: "", toolCalls: [call("a"), call("b")]),
            TranscriptMessage(role: .toolResult, content: "A", toolCallId: "a"),
            TranscriptMessage(role: .toolResult, content: "B", toolCallId: "b"),
            TranscriptMessage(role: .assistant, content: "done"),
        ])
        #expect(messages.map(\.role) == [.user, .assistant, .tool, .tool, .assistant])
        #expect(messages[1].toolCalls.map(\.id) == ["a", "b"])
        #expect(messages[2].toolCallId == "a")
        #expect(messages[3].content == "B")
    }

    @Test("an unanswered call (a client tool turn) becomes a tool_call text line")
    func unansweredCall() {
        let messages = AgentRuntime.chatMessages(from: [
            TranscriptMessage(role: .user, content: "weather?"),
            TranscriptMessage(
                role: .assistant, content: "Checking.",
                toolCalls: [StoredToolCall(id: "c1", name: "get_weather", arguments: #"{"city":"Paris"}"#)]),
            TranscriptMessage(role: .user, content: "Tool:c1: sunny"),
        ])
        #expect(messages.map(\.role) == [.user, .assistant, .user])
        #expect(messages[1].toolCalls.isEmpty)
        #expect(messages[1].content == #"Checking.\#ntool_call id=c1 name=get_weather arguments={"city":"Paris"}"#)
    }

    @Test("a result whose call fell out of the history window becomes a user text entry")
    func orphanResult() {
        let messages = AgentRuntime.chatMessages(from: [
            TranscriptMessage(role: .toolResult, content: "old", toolCallId: "gone", toolName: "read"),
            TranscriptMessage(role: .assistant, content: "ok"),
        ])
        #expect(messages.map(\.role) == [.user, .assistant])
        #expect(messages[0].content == "Tool:gone: old")
    }
}
