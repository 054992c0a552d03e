import Foundation
import Testing

@testable import OpenAIWire

/// The fast request-body path must give the tree Foundation gives, or step aside.
@Suite struct JSONReaderTests {
    static let samples: [String] = [
        #"{"model":"openclaw","messages":[{"role":"user","content":"hi"}]}"#,
        #"{"a":[1,-2.5,3e2,0,-0,1E-3],"b":{"c":null,"d":true,"e":false},"f":"\u00e9\ud83e\udd80\n\"\\\/"}"#,
        #"  [ 1 , 2 ]  "#, #""text""#, #"12"#, #"null"#, #"true"#,
        #"{"a":1,"a":2}"#, #"{"a":1e400}"#, #"{"a":01}"#, #"{"a":1.}"#, #"{"a":.5}"#, #"{"a":+1}"#,
        #"{"a":"\ud800"}"#, #"{"a":"\x"}"#, #"{"a":1,}"#, #"[1,]"#, #"{"a" 1}"#, #"{a:1}"#, #"// c"#, #""#, #"{"#,
        #"{"a":12345678901234567890}"#, "{\"a\":\"tab\u{09}inside\"}",
    ]

    @Test("JSONValue.parse gives Foundation's tree whenever the fast reader accepts", arguments: samples)
    func sameAsFoundation(text: String) throws {
        let data = Data(text.utf8)
        let foundation = try? JSONDecoder().decode(JSONValue.self, from: data)
        if let fast = JSONValue.fastParse(data) {
            #expect(fast == foundation, "fast reader disagrees on \(text)")
        }
        // And the public entry point behaves as before: the same value, or an error.
        let parsed = try? JSONValue.parse(data)
        #expect(parsed == foundation)
    }

    @Test("invalid UTF-8 is left to Foundation")
    func invalidUTF8() {
        #expect(JSONValue.fastParse(Data([0x22, 0xFF, 0x22])) == nil)
    }
}
