import Testing

@testable import Gateway

/// C3: the credential of an `Authorization` header value.
@Suite struct BearerCredentialTests {
    @Test(
        "C3: the scheme is `bearer ` in any case, value and credential are trimmed",
        arguments: [
            ("Bearer abc", "abc"), ("bearer abc", "abc"), ("BEARER abc", "abc"), ("BeArEr abc", "abc"),
            ("  Bearer   abc  ", "abc"), ("Bearer a b", "a b"), ("\u{00A0}Bearer abc\u{00A0}", "abc"),
            ("\tBearer\u{2003}abc\t", nil), ("Bearer ü∆", "ü∆"),
        ] as [(String, String?)])
    func parses(value: String, credential: String?) {
        #expect(Authenticator.bearerCredential(value) == credential)
    }

    @Test(
        "C3: no credential without the scheme and its space, or with nothing after it",
        arguments: ["", "Bearer", "Bearer ", "Bearer    ", "Basic abc", "Bearerabc", "Bearer\tabc", "Béarer abc", "abc"])
    func none(value: String) {
        #expect(Authenticator.bearerCredential(value) == nil)
    }
}
