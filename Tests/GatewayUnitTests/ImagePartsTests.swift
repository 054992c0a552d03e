import Foundation
import ModelProviders
import OpenAIWire
import Testing

@testable import Gateway

/// J1–J4: `image_url` parts of the active turn.
@Suite struct ImagePartsTests {
    static let png = "iVBORw0KGgo="  // the 8-byte PNG signature

    private func imagePart(_ url: String, objectForm: Bool = true) -> String {
        objectForm ? #"{"type":"image_url","image_url":{"url":"\#(url)"}}"# : #"{"type":"image_url","image_url":"\#(url)"}"#
    }

    private func userTurn(text: String?, images: [String]) -> String {
        let textPart = text.map { [#"{"type":"text","text":"\#($0)"}"#] } ?? []
        return #"{"role":"user","content":[\#((textPart + images).joined(separator: ","))]}"#
    }

    @Test("J2/J4: a data URL image of the active turn is passed on with its MIME type")
    func acceptedImage() throws {
        let json = "[\(userTurn(text: "what is this?", images: [imagePart("data:image/png;base64,\(Self.png)")]))]"
        let result = try ChatMessagesFlattenerTests.flatten(json)
        #expect(result.prompt == "what is this?")
        #expect(result.images == [ImageInput(mimeType: "image/png", base64Data: Self.png)])
    }

    @Test("J2: string form, uppercase MIME and extra parameters are accepted")
    func urlForms() throws {
        let parts = [
            imagePart("data:image/jpeg;base64,\(Self.png)", objectForm: false),
            imagePart("data:IMAGE/WEBP;charset=utf-8;BASE64,\(Self.png)"),
        ]
        let result = try ChatMessagesFlattenerTests.flatten("[\(userTurn(text: "x", images: parts))]")
        #expect(result.images.map(\.mimeType) == ["image/jpeg", "image/webp"])
    }

    @Test("J1: only the last user turn's images are used")
    func latestTurnOnly() throws {
        let first = userTurn(text: "first", images: [imagePart("data:image/gif;base64,\(Self.png)")])
        let last = userTurn(text: "second", images: [imagePart("data:image/png;base64,\(Self.png)")])
        let json = "[\(first),{\"role\":\"assistant\",\"content\":\"ok\"},\(last)]"
        let result = try ChatMessagesFlattenerTests.flatten(json)
        #expect(result.images.map(\.mimeType) == ["image/png"])
    }

    @Test("J1: when the active turn is a tool result no images are sent")
    func toolTurnNoImages() throws {
        let first = userTurn(text: "look", images: [imagePart("data:image/png;base64,\(Self.png)")])
        let json = #"[\#(first),{"role":"assistant","content":"calling"},{"role":"tool","tool_call_id":"c1","content":"done"}]"#
        let result = try ChatMessagesFlattenerTests.flatten(json)
        #expect(result.images.isEmpty)
        #expect(result.prompt.hasSuffix("Tool:c1: done"))
    }

    @Test("J1: invalid images in earlier turns are not inspected")
    func earlierInvalidIgnored() throws {
        let bad = userTurn(text: "old", images: [imagePart("https://example.com/a.png")])
        let json = #"[\#(bad),{"role":"user","content":"new"}]"#
        #expect(try ChatMessagesFlattenerTests.flatten(json).images.isEmpty)
    }

    @Test("B3: exactly 8 images are accepted")
    func eightImages() throws {
        let parts = Array(repeating: imagePart("data:image/png;base64,\(Self.png)"), count: 8)
        #expect(try ChatMessagesFlattenerTests.flatten("[\(userTurn(text: "x", images: parts))]").images.count == 8)
    }

    @Test(
        "J3: bad images give \"Invalid image_url content in `messages`.\"",
        arguments: [
            ("nine parts", Array(repeating: #"{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}"#, count: 9)),
            ("pdf", [#"{"type":"image_url","image_url":{"url":"data:application/pdf;base64,iVBORw0KGgo="}}"#]),
            ("remote", [#"{"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}"#]),
            ("no-base64", [#"{"type":"image_url","image_url":{"url":"data:image/png,iVBORw0KGgo="}}"#]),
            ("empty-payload", [#"{"type":"image_url","image_url":{"url":"data:image/png;base64,"}}"#]),
            ("no-mime", [#"{"type":"image_url","image_url":{"url":"data:;base64,iVBORw0KGgo="}}"#]),
            ("missing-url", [#"{"type":"image_url","image_url":{}}"#]),
            ("empty-url", [#"{"type":"image_url","image_url":"  "}"#]),
        ])
    func invalidImages(name: String, parts: [String]) throws {
        let json = "[\(userTurn(text: "look", images: parts))]"
        #expect(try ChatMessagesFlattenerTests.flattenError(json) == "Invalid image_url content in `messages`.")
    }

    @Test("J3: an image over the per-image byte limit is rejected")
    func perImageLimit() throws {
        let payload = Data(repeating: 0xAB, count: 64).base64EncodedString()
        let list = try ChatMessagesFlattenerTests.messages(
            "[\(userTurn(text: "x", images: [imagePart("data:image/png;base64,\(payload)")]))]")
        var limits = ImageLimits()
        limits.maxBytesPerImage = 63
        #expect(throws: RequestValidationError("Invalid image_url content in `messages`.")) {
            try ChatMessagesFlattener.flatten(list, imageLimits: limits)
        }
        limits.maxBytesPerImage = 64
        #expect(try ChatMessagesFlattener.flatten(list, imageLimits: limits).images.count == 1)
    }

    @Test("J4: an image-only active turn gets the body \"User sent image(s) with no text.\"")
    func imageOnlyActiveTurn() throws {
        let only = "[\(userTurn(text: nil, images: [imagePart("data:image/png;base64,\(Self.png)")]))]"
        let result = try ChatMessagesFlattenerTests.flatten(only)
        #expect(result.prompt == "User sent image(s) with no text.")
        #expect(result.images.count == 1)

        let withHistory = #"[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"},"#
            + userTurn(text: nil, images: [imagePart("data:image/png;base64,\(Self.png)")]) + "]"
        #expect(
            try ChatMessagesFlattenerTests.flatten(withHistory).prompt.hasSuffix(
                "[Current message - respond to this]\nUser: User sent image(s) with no text."))
    }

    @Test("J4: historical image-only turns are dropped from the prompt")
    func historicalImageOnlyDropped() throws {
        let old = userTurn(text: nil, images: [imagePart("data:image/png;base64,\(Self.png)")])
        let json = #"[\#(old),{"role":"assistant","content":"nice picture"},{"role":"user","content":"thanks"}]"#
        let result = try ChatMessagesFlattenerTests.flatten(json)
        #expect(
            result.prompt == """
                [Chat messages since your last reply - for context]
                Assistant: nice picture

                [Current message - respond to this]
                User: thanks
                """)
        #expect(result.images.isEmpty)
    }
}
