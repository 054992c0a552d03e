import Foundation
import OpenAIWire
import Testing

/// F3, F5: body parsing and schema validation of `POST /v1/chat/completions`.
@Suite struct ChatCompletionRequestParsingTests {
    private func parse(_ json: String) throws(RequestValidationError) -> ChatCompletionRequest {
        try ChatCompletionRequest.parse(body: Data(json.utf8))
    }

    private func errorMessage(_ json: String) -> String? {
        do {
            _ = try parse(json)
            return nil
        } catch {
            return error.message
        }
    }

    @Test("F3: an empty or whitespace-only body is treated as {}", arguments: ["", " ", "\n\t \r\n", "   \n"])
    func emptyBodyIsEmptyObject(body: String) throws {
        let request = try parse(body)
        #expect(request.model == nil)
        #expect(request.messages.isEmpty)
        #expect(request.stream == false)
        #expect(request.includeUsage == false)
        #expect(request.user == nil)
        #expect(request.tools == nil)
        #expect(request.toolChoice == nil)
        #expect(request.sampling == SamplingParameters())
    }

    @Test("F3: invalid JSON fails with the JSON parser's own error text", arguments: ["{bad", "[1,2", "nul", "{\"a\":}"])
    func invalidJSONReportsParserText(body: String) throws {
        let message = try #require(errorMessage(body))
        #expect(!message.isEmpty)
        // The message is the parser's, not one of the schema messages.
        let parserError = #expect(throws: JSONParseError.self) { try JSONValue.parse(Data(body.utf8)) }
        #expect(message == parserError?.message)
        #expect(!message.contains("Expected"))
    }

    @Test("F5: a non-object body is rejected with a type message")
    func nonObjectBody() {
        #expect(errorMessage("[1,2]") == "Request body: Expected object, received array")
        #expect(errorMessage("42") == "Request body: Expected object, received number")
    }

    @Test(
        "F5: wrong field types give '<field>: Expected <type>, received <type>'",
        arguments: [
            (#"{"model": 5}"#, "model: Expected string, received number"),
            (#"{"model": null}"#, "model: Expected string, received null"),
            (#"{"stream": "yes"}"#, "stream: Expected boolean, received string"),
            (#"{"stream": 1}"#, "stream: Expected boolean, received number"),
            (#"{"stream_options": "x"}"#, "stream_options: Expected object, received string"),
            (#"{"stream_options": {"include_usage": "true"}}"#,
             "stream_options.include_usage: Expected boolean, received string"),
            (#"{"messages": {}}"#, "messages: Expected array, received object"),
            (#"{"messages": "hi"}"#, "messages: Expected array, received string"),
            (#"{"user": 7}"#, "user: Expected string, received number"),
            (#"{"user": ["a"]}"#, "user: Expected string, received array"),
            (#"{"temperature": "hot"}"#, "temperature: Expected number, received string"),
            (#"{"top_p": true}"#, "top_p: Expected number, received boolean"),
            (#"{"seed": "1"}"#, "seed: Expected number, received string"),
            (#"{"max_tokens": "10"}"#, "max_tokens: Expected number, received string"),
            (#"{"max_completion_tokens": []}"#, "max_completion_tokens: Expected number, received array"),
            (#"{"stop": 3}"#, "stop: Expected string | string[], received number"),
        ])
    func wrongTypeMessages(body: String, expected: String) {
        #expect(errorMessage(body) == expected)
    }

    @Test("F5: tools that is not an array is rejected as a tools error")
    func toolsMustBeArray() {
        #expect(errorMessage(#"{"tools": {}}"#) == "Invalid tools/tool_choice: tools must be an array")
    }

    @Test("F5: unknown fields are ignored")
    func unknownFieldsIgnored() throws {
        let request = try parse(#"{"model":"openclaw","whatever":{"x":1},"n":3,"logprobs":true}"#)
        #expect(request.model == "openclaw")
    }

    @Test(
        "F5: only the literal true streams",
        arguments: [
            (#"{"stream": true}"#, true),
            (#"{"stream": false}"#, false),
            (#"{"stream": null}"#, false),
            ("{}", false),
        ])
    func onlyLiteralTrueStreams(body: String, streams: Bool) throws {
        #expect(try parse(body).stream == streams)
    }

    @Test(
        "M6/F5: stream_options.include_usage is read only when it is a boolean true",
        arguments: [
            (#"{"stream": true, "stream_options": {"include_usage": true}}"#, true),
            (#"{"stream": true, "stream_options": {"include_usage": false}}"#, false),
            (#"{"stream": true, "stream_options": {}}"#, false),
            (#"{"stream": true, "stream_options": null}"#, false),
            (#"{"stream": true}"#, false),
        ])
    func includeUsage(body: String, include: Bool) throws {
        #expect(try parse(body).includeUsage == include)
    }

    @Test("F5: messages, user, tools and tool_choice are carried through as given")
    func fieldsCarriedThrough() throws {
        let request = try parse(
            #"""
            {"model":"openclaw/beta","user":"Alice",
             "messages":[{"role":"user","content":"hi"}],
             "tools":[{"type":"function","function":{"name":"f"}}],
             "tool_choice":"required"}
            """#)
        #expect(request.model == "openclaw/beta")
        #expect(request.user == "Alice")
        #expect(request.messages == [.object(["role": .string("user"), "content": .string("hi")])])
        #expect(request.tools?.count == 1)
        #expect(request.toolChoice == .string("required"))
    }

    @Test("F5: a null tool_choice and null tools count as absent")
    func nullToolsAbsent() throws {
        let request = try parse(#"{"tools":null,"tool_choice":null}"#)
        #expect(request.tools == nil)
        #expect(request.toolChoice == nil)
    }

    @Test("F3: a body with surrounding whitespace is still parsed")
    func surroundingWhitespace() throws {
        let request = try parse("\n  {\"model\": \"openclaw\"}  \n")
        #expect(request.model == "openclaw")
    }
}
