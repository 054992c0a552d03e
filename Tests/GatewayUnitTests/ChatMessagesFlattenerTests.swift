import Foundation
import ModelProviders
import OpenAIWire
import Testing

@testable import Gateway

/// I2–I6: `messages` → one prompt plus the extra system prompt.
@Suite struct ChatMessagesFlattenerTests {
    static func messages(_ json: String) throws -> [JSONValue] {
        try #require(try JSONValue.parse(Data(json.utf8)).arrayValue)
    }

    static func flatten(_ json: String) throws -> FlattenedConversation {
        try ChatMessagesFlattener.flatten(try messages(json))
    }

    static func flattenError(_ json: String) throws -> String? {
        let list = try messages(json)
        do {
            _ = try ChatMessagesFlattener.flatten(list)
            return nil
        } catch {
            return error.message
        }
    }

    @Test("I2: text parts are joined with a newline")
    func textPartsJoined() throws {
        let result = try Self.flatten(
            #"[{"role":"user","content":[{"type":"text","text":"hello"},{"type":"text","text":"world"}]}]"#)
        #expect(result.prompt == "hello\nworld")
        #expect(result.extraSystemPrompt == nil)
        #expect(result.images.isEmpty)
    }

    @Test("I2: input_text parts and input_text fields count; other parts contribute nothing")
    func inputTextParts() throws {
        let result = try Self.flatten(
            #"""
            [{"role":" user ","content":[{"type":"input_text","text":"a"},{"type":"other","input_text":"b"},
              {"type":"refusal","text":"nope"},{"type":"text"},"stray"]}]
            """#)
        #expect(result.prompt == "a\nb")
    }

    @Test("I2: content is trimmed")
    func contentTrimmed() throws {
        #expect(try Self.flatten(#"[{"role":"user","content":"  spaced out \n"}]"#).prompt == "spaced out")
    }

    @Test("I3: system and developer text is joined by a blank line into the extra system prompt")
    func systemAndDeveloper() throws {
        let result = try Self.flatten(
            #"""
            [{"role":"system","content":"Be nice."},
             {"role":"developer","content":[{"type":"text","text":"Use JSON."}]},
             {"role":"system","content":"   "},
             {"role":"user","content":"hi"}]
            """#)
        #expect(result.extraSystemPrompt == "Be nice.\n\nUse JSON.")
        #expect(result.prompt == "hi")
        #expect(!result.prompt.contains("Be nice."))
        #expect(!result.prompt.contains("Use JSON."))
    }

    @Test("I4/I5: history entries are labelled User / Assistant / Tool:<id> under the markers")
    func labels() throws {
        let result = try Self.flatten(
            #"""
            [{"role":"user","content":"What's the weather in Oslo?"},
             {"role":"assistant","content":"Let me check.","tool_calls":[
               {"id":"call_1","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Oslo\"}"}}]},
             {"role":"tool","tool_call_id":"call_1","content":"rain, 8°C"},
             {"role":"assistant","content":"It rains."},
             {"role":"user","content":"And tomorrow?"}]
            """#)
        #expect(
            result.prompt == """
                [Chat messages since your last reply - for context]
                User: What's the weather in Oslo?
                Assistant: Let me check.
                tool_call id=call_1 name=weather arguments={"city":"Oslo"}
                Tool:call_1: rain, 8°C
                Assistant: It rains.

                [Current message - respond to this]
                User: And tomorrow?
                """)
    }

    @Test("I4: tool labels fall back to Tool:<name> and Tool; function counts as tool")
    func toolLabelFallbacks() throws {
        let result = try Self.flatten(
            #"""
            [{"role":"user","content":"go"},
             {"role":"tool","name":"lookup","content":"found"},
             {"role":"tool","content":"anon"},
             {"role":"function","name":"legacy","content":"old"}]
            """#)
        #expect(
            result.prompt == """
                [Chat messages since your last reply - for context]
                User: go
                Tool:lookup: found
                Tool: anon

                [Current message - respond to this]
                Tool:legacy: old
                """)
    }

    @Test("I4: assistant tool calls without text render only the tool_call lines; non-string arguments as JSON")
    func toolCallOnlyAssistant() throws {
        let result = try Self.flatten(
            #"""
            [{"role":"user","content":"q"},
             {"role":"assistant","content":null,"tool_calls":[
               {"id":"c1","function":{"name":"a","arguments":{"x":1}}},
               {"id":"c2","function":{"name":"b"}},
               {"function":{"name":"no_id"}}]},
             {"role":"tool","tool_call_id":"c1","content":""}]
            """#)
        #expect(
            result.prompt == """
                [Chat messages since your last reply - for context]
                User: q
                Assistant: tool_call id=c1 name=a arguments={"x":1}
                tool_call id=c2 name=b arguments={}

                [Current message - respond to this]
                Tool:c1: 
                """)
    }

    @Test("I4: empty entries are dropped and unknown roles skipped")
    func emptyAndUnknownDropped() throws {
        let result = try Self.flatten(
            #"""
            [{"role":"user","content":""},{"role":"critic","content":"x"},{"role":"","content":"y"},
             {"role":"assistant","content":"  "},{"content":"no role"},"not an object",
             {"role":"user","content":"real"}]
            """#)
        #expect(result.prompt == "real")
    }

    @Test("I5: a trailing assistant message is dropped")
    func trailingAssistant() throws {
        let result = try Self.flatten(
            #"[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":"c"},{"role":"assistant","content":"d"}]"#)
        #expect(result.prompt.hasSuffix("[Current message - respond to this]\nUser: c"))
        #expect(!result.prompt.contains("Assistant: d"))
    }

    @Test(
        "I6: no user message gives \"Missing user message in `messages`.\"",
        arguments: [
            #"[{"role":"system","content":"only system"}]"#,
            "[]",
            #"[{"role":"user","content":"   "}]"#,
            #"[{"role":"developer","content":"x"},{"role":"critic","content":"y"}]"#,
        ])
    func missingUserMessage(json: String) throws {
        #expect(try Self.flattenError(json) == "Missing user message in `messages`.")
    }
}
