import Foundation
import OpenAIWire
import Testing

/// F6: sampling parameter validation and forwarding (D-10).
@Suite struct SamplingValidationTests {
    private func sampling(_ json: String) throws(RequestValidationError) -> SamplingParameters {
        try ChatCompletionRequest.parse(body: Data(json.utf8)).sampling
    }

    private func errorMessage(_ json: String) -> String? {
        do {
            _ = try sampling(json)
            return nil
        } catch {
            return error.message
        }
    }

    @Test(
        "F6: values inside the documented ranges are accepted and forwarded",
        arguments: [
            (#"{"temperature": 0}"#, SamplingParameters(temperature: 0)),
            (#"{"temperature": 2}"#, SamplingParameters(temperature: 2)),
            (#"{"temperature": 0.7}"#, SamplingParameters(temperature: 0.7)),
            (#"{"top_p": 1}"#, SamplingParameters(topP: 1)),
            (#"{"top_p": 0}"#, SamplingParameters(topP: 0)),
            (#"{"frequency_penalty": -2}"#, SamplingParameters(frequencyPenalty: -2)),
            (#"{"presence_penalty": 2}"#, SamplingParameters(presencePenalty: 2)),
            (#"{"seed": 42}"#, SamplingParameters(seed: 42)),
            (#"{"seed": -7}"#, SamplingParameters(seed: -7)),
            (#"{"max_tokens": 16}"#, SamplingParameters(maxTokens: 16)),
            (#"{"temperature": null, "top_p": null, "seed": null, "max_tokens": null}"#, SamplingParameters()),
        ])
    func acceptedValues(body: String, expected: SamplingParameters) throws {
        #expect(try sampling(body) == expected)
    }

    @Test(
        "F6: out-of-range values are rejected with '`<field>` must be between …'",
        arguments: [
            (#"{"temperature": 2.01}"#, "`temperature` must be between 0 and 2."),
            (#"{"temperature": -0.1}"#, "`temperature` must be between 0 and 2."),
            (#"{"top_p": 1.5}"#, "`top_p` must be between 0 and 1."),
            (#"{"top_p": -1}"#, "`top_p` must be between 0 and 1."),
            (#"{"frequency_penalty": -2.5}"#, "`frequency_penalty` must be between -2 and 2."),
            (#"{"presence_penalty": 3}"#, "`presence_penalty` must be between -2 and 2."),
        ])
    func outOfRange(body: String, expected: String) {
        #expect(errorMessage(body) == expected)
    }

    @Test("F6: seed must be an integer", arguments: [#"{"seed": 1.5}"#, #"{"seed": 1e300}"#])
    func seedInteger(body: String) {
        #expect(errorMessage(body) == "`seed` must be an integer.")
    }

    @Test(
        "F6: token caps must be positive integers",
        arguments: [
            (#"{"max_tokens": 0}"#, "`max_tokens` must be a positive integer."),
            (#"{"max_tokens": -5}"#, "`max_tokens` must be a positive integer."),
            (#"{"max_tokens": 2.5}"#, "`max_tokens` must be a positive integer."),
            (#"{"max_completion_tokens": 0}"#, "`max_completion_tokens` must be a positive integer."),
        ])
    func tokenCaps(body: String, expected: String) {
        #expect(errorMessage(body) == expected)
    }

    @Test("F6: max_completion_tokens wins over max_tokens")
    func maxCompletionTokensWins() throws {
        #expect(try sampling(#"{"max_tokens": 100, "max_completion_tokens": 25}"#).maxTokens == 25)
        #expect(try sampling(#"{"max_tokens": 100, "max_completion_tokens": null}"#).maxTokens == 100)
        #expect(try sampling(#"{"max_completion_tokens": 7}"#).maxTokens == 7)
    }

    @Test(
        "F6: stop is a string or up to 4 strings",
        arguments: [
            (#"{"stop": "END"}"#, ["END"]),
            (#"{"stop": ["a", "b", "c", "d"]}"#, ["a", "b", "c", "d"]),
            (#"{"stop": []}"#, []),
        ])
    func stopAccepted(body: String, expected: [String]) throws {
        #expect(try sampling(body).stop == expected)
    }

    @Test("F6: a null stop is absent")
    func stopNull() throws {
        #expect(try sampling(#"{"stop": null}"#).stop == nil)
    }

    @Test(
        "F6: invalid stop values are rejected with 'Invalid stop: …'",
        arguments: [
            (#"{"stop": ["a", "b", "c", "d", "e"]}"#, "Invalid stop: at most 4 stop sequences are allowed."),
            (#"{"stop": ""}"#, "Invalid stop: stop sequences must be non-empty strings."),
            (#"{"stop": ["a", ""]}"#, "Invalid stop: stop sequences must be non-empty strings."),
            (#"{"stop": ["a", 1]}"#, "Invalid stop: each stop sequence must be a string."),
        ])
    func stopRejected(body: String, expected: String) {
        #expect(errorMessage(body) == expected)
    }

    @Test("F6: response_format types text, json_object, json_schema are accepted and forwarded verbatim")
    func responseFormatAccepted() throws {
        #expect(try sampling(#"{"response_format": {"type": "text"}}"#).responseFormat == .object(["type": .string("text")]))
        #expect(
            try sampling(#"{"response_format": {"type": "json_object"}}"#).responseFormat
                == .object(["type": .string("json_object")]))
        let schema = try sampling(
            #"{"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}}}"#
        ).responseFormat
        #expect(schema?["json_schema"]?["name"] == .string("x"))
        #expect(try sampling(#"{"response_format": null}"#).responseFormat == nil)
    }

    @Test(
        "F6: invalid response_format is rejected with 'Invalid response_format: …'",
        arguments: [
            (#"{"response_format": "json"}"#, "Invalid response_format: must be an object."),
            (#"{"response_format": {"type": "xml"}}"#,
             "Invalid response_format: type must be one of text, json_object, json_schema."),
            (#"{"response_format": {}}"#,
             "Invalid response_format: type must be one of text, json_object, json_schema."),
            (#"{"response_format": {"type": "json_schema"}}"#,
             "Invalid response_format: json_schema requires a json_schema object."),
        ])
    func responseFormatRejected(body: String, expected: String) {
        #expect(errorMessage(body) == expected)
    }
}
