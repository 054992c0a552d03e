import AgentRuntime
import Testing

/// I5: flattening a conversation into one prompt.
@Suite struct ConversationPromptTests {
    private func user(_ body: String) -> ConversationEntry { .init(kind: .user, sender: "User", body: body) }
    private func assistant(_ body: String) -> ConversationEntry { .init(kind: .assistant, sender: "Assistant", body: body) }
    private func tool(_ id: String, _ body: String) -> ConversationEntry { .init(kind: .tool, sender: "Tool:\(id)", body: body) }

    @Test("I5: the exact marker texts")
    func markers() {
        #expect(ConversationPrompt.historyMarker == "[Chat messages since your last reply - for context]")
        #expect(ConversationPrompt.currentMarker == "[Current message - respond to this]")
    }

    @Test("I5: a single entry gives just its body, without a label")
    func singleEntry() {
        #expect(ConversationPrompt.build([user("hello there")]) == "hello there")
    }

    @Test("I5: an empty conversation gives an empty prompt")
    func empty() {
        #expect(ConversationPrompt.build([]) == "")
        #expect(ConversationPrompt.currentIndex([]) == nil)
    }

    @Test("I5: history goes under the history marker, then a blank line and the current message")
    func historyLayout() {
        let prompt = ConversationPrompt.build([user("hi"), assistant("hello!"), user("what is 2+2?")])
        #expect(
            prompt == """
                [Chat messages since your last reply - for context]
                User: hi
                Assistant: hello!

                [Current message - respond to this]
                User: what is 2+2?
                """)
    }

    @Test("I5: trailing assistant entries after the current message are dropped")
    func trailingAssistantDropped() {
        let prompt = ConversationPrompt.build([user("a"), assistant("b"), user("c"), assistant("d"), assistant("e")])
        #expect(
            prompt == """
                [Chat messages since your last reply - for context]
                User: a
                Assistant: b

                [Current message - respond to this]
                User: c
                """)
        #expect(!prompt.contains("Assistant: d"))
        #expect(ConversationPrompt.currentIndex([user("a"), assistant("b")]) == 0)
    }

    @Test("I5: a user message followed only by an assistant reply is a single-entry prompt")
    func userThenAssistantOnly() {
        #expect(ConversationPrompt.build([user("only"), assistant("reply")]) == "only")
    }

    @Test("I5: the current entry is the last user-or-tool entry; tool results carry their label")
    func toolIsCurrent() {
        let entries = [user("weather?"), assistant("tool_call id=c1 name=w arguments={}"), tool("c1", "sunny")]
        #expect(ConversationPrompt.currentIndex(entries) == 2)
        #expect(
            ConversationPrompt.build(entries) == """
                [Chat messages since your last reply - for context]
                User: weather?
                Assistant: tool_call id=c1 name=w arguments={}

                [Current message - respond to this]
                Tool:c1: sunny
                """)
    }

    @Test("I5: with only assistant entries the last entry is current")
    func onlyAssistants() {
        let entries = [assistant("x"), assistant("y")]
        #expect(ConversationPrompt.currentIndex(entries) == 1)
        #expect(
            ConversationPrompt.build(entries) == """
                [Chat messages since your last reply - for context]
                Assistant: x

                [Current message - respond to this]
                Assistant: y
                """)
    }
}
