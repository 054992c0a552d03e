import Testing

@testable import Gateway

/// C4: timing-safe, length-independent secret comparison.
@Suite struct SecretCompareTests {
    @Test("C4: equal secrets match")
    func equal() {
        #expect(SecretCompare.matches("s3cret-token", "s3cret-token"))
        #expect(SecretCompare.matches("ü∆ unicode", "ü∆ unicode"))
    }

    @Test(
        "C4: different secrets never match, whatever their lengths",
        arguments: [
            ("abc", "abd"), ("abc", "abcd"), ("abcd", "abc"), ("token", "TOKEN"), ("token ", "token"),
            ("", "token"),
        ])
    func different(presented: String, expected: String) {
        #expect(!SecretCompare.matches(presented, expected))
    }

    @Test(
        "C4: a missing or empty expected secret never matches",
        arguments: [
            (String?.none, String?.none), ("", nil), (nil, ""), ("", ""), ("anything", nil), ("anything", ""),
            (nil, "expected"),
        ])
    func missingNeverMatches(presented: String?, expected: String?) {
        #expect(!SecretCompare.matches(presented, expected))
    }
}
