import Foundation
import OpenAIWire
import Testing

@Suite("Trimming white space and line breaks without Foundation")
struct TextTrimmingTests {
    /// Every scalar of the Basic Multilingual Plane, alone and around text: the result is
    /// Foundation's `trimmingCharacters(in: .whitespacesAndNewlines)`. (Outside the BMP no
    /// scalar is white space in either; a scan of all of Unicode found U+200B the one scalar
    /// Foundation trims that lacks the White_Space property.)
    @Test("trims exactly the scalars Foundation's whitespacesAndNewlines trims")
    func matchesFoundationScalarByScalar() {
        var mismatches: [String] = []
        var checked = 0
        for value in UInt32(0)...0xFFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let s = String(Character(scalar))
            for text in [s, s + "a" + s] {
                if String(text.trimmingWhitespaceAndNewlines) != text.trimmingCharacters(in: .whitespacesAndNewlines) {
                    mismatches.append("U+\(String(value, radix: 16))")
                }
                checked += 1
            }
        }
        #expect(mismatches.isEmpty)
        #expect(checked > 120_000)
    }

    @Test("keeps inner white space, empties blank text, works on substrings")
    func shapes() {
        #expect("  hello \n world\t\r\n".trimmingWhitespaceAndNewlines == "hello \n world")
        #expect(" \u{3000}\u{2028}\u{85}\u{200B} ".trimmingWhitespaceAndNewlines == "")
        #expect("".trimmingWhitespaceAndNewlines == "")
        #expect("x".trimmingWhitespaceAndNewlines == "x")
        let sub = "[  inner  ]".dropFirst().dropLast()
        #expect(sub.trimmingWhitespaceAndNewlines == "inner")
    }

    @Test("a combining mark after a leading space stays, as with Foundation")
    func cutsOnScalarsNotCharacters() {
        let text = " \u{301}abc "
        #expect(String(text.trimmingWhitespaceAndNewlines) == text.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(text.trimmingWhitespaceAndNewlines.unicodeScalars.first == "\u{301}")
    }
}
