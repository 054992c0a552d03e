import Foundation
import Testing

@testable import ModelProviders

/// The hand-written chunk reader must decide exactly as the synthesized `Decodable` does.
@Suite struct UpstreamChunkDecodingTests {
    static let samples: [String] = [
        #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"tok "},"finish_reason":null}]}"#,
        #"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
        #"{"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":2}}}"#,
        #"{"usage":{"prompt_tokens":10,"completion_tokens":null,"prompt_tokens_details":null}}"#,
        #"{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":"}}]}}]}"#,
        #"{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":"1}"}}]}}]}"#,
        #"{"choices":[{"message":{"content":"whole answer","tool_calls":null},"finish_reason":"length"}]}"#,
        #"{"error":{"message":"overloaded","type":"server_error","code":"overloaded"}}"#,
        #"{"error":{"message":"bad","code":429}}"#,
        #"{"error":{"message":"bad","code":1.5}}"#,
        #"{"error":{"message":"bad","code":true}}"#,
        #"{"error":null,"choices":null,"usage":null}"#,
        #"{"choices":[{"delta":{"content":5}}]}"#,
        #"{"choices":[{"delta":{"content":"a"},"finish_reason":7}]}"#,
        #"{"choices":{"delta":{}}}"#,
        #"{"choices":[1]}"#,
        #"{"choices":[{"delta":{"tool_calls":[{"index":"0"}]}}]}"#,
        #"{"choices":[{"delta":{"tool_calls":[{"index":1.0}]}}]}"#,
        #"{"usage":{"prompt_tokens":1e2}}"#,
        #"{"usage":{"prompt_tokens":1.5}}"#,
        #"{"usage":{"prompt_tokens":-3}}"#,
        #"{"x":{"deep":[1,2,{"k":[null,true,false,"s\"\\\/\b\f\n\r\t\u00e9\ud83e\udd80"]}]},"choices":[]}"#,
        #"{"choices":[{"delta":{"content":"esc \" \\ \/ \u00e9 \ud83e\udd80 \n"}}]}"#,
        #"  {"choices":[]}  "#,
        #"{"choices":[]} x"#,
        #"{"choices":[],}"#,
        #"{"choices":[{"delta":{}},]}"#,
        #"{"choices":[{"delta":{"content":"a",}}],}"#,
        #"{,}"#,
        #"{"choices":[,]}"#,
        #"{"choices":[01]}"#,
        #"{"choices":[{"delta":{"content":"\x"}}]}"#,
        #"{"a":"\ud800"}"#,
        #"[]"#,
        #""s""#,
        #"null"#,
        #""#,
        #"{"#,
        #"{"choices":[{"delta":{"content":"unterminated}]}"#,
        #"{"a":1,"a":2,"choices":[]}"#,
        #"{"usage":{"prompt_tokens":99999999999999999999}}"#,
    ]

    @Test("UpstreamChunk.decode accepts and reads exactly what JSONDecoder does", arguments: samples)
    func sameAsDecodable(text: String) {
        let fast = UpstreamChunk.decode(text)
        let foundation = try? JSONDecoder().decode(UpstreamChunk.self, from: Data(text.utf8))
        #expect((fast == nil) == (foundation == nil), "accepted by one decoder only: \(text)")
        if let fast, let foundation {
            #expect(String(reflecting: fast) == String(reflecting: foundation))
        }
    }
}
