import Foundation
import ModelProviders
import OpenAIWire

/// Limits on `image_url` parts of the active turn (B3).
struct ImageLimits: Sendable {
    var maxParts = 8
    var maxTotalBytes = 20 * 1024 * 1024
    var maxBytesPerImage = 10 * 1024 * 1024
    var allowedMimes: Set<String> = [
        "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/heif",
    ]
}

extension ChatMessagesFlattener {
    /// J2, J3: data URLs with a base64 payload of an allowed type, within the limits. Remote
    /// URLs are refused (`images.allowUrl` defaults to false and is not supported yet).
    static func parseImages(_ parts: [JSONValue], limits: ImageLimits) throws(RequestValidationError) -> [ImageInput] {
        guard parts.count <= limits.maxParts else { throw RequestValidationError(invalidImage) }
        var images: [ImageInput] = []
        var total = 0
        for part in parts {
            let urlValue = part["image_url"]
            let url = (urlValue?.stringValue ?? urlValue?["url"]?.stringValue ?? "")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            guard url.lowercased().hasPrefix("data:"), let comma = url.firstIndex(of: ",") else {
                throw RequestValidationError(invalidImage)
            }
            let metadata = url[url.index(url.startIndex, offsetBy: 5)..<comma].split(separator: ";")
            let payload = String(url[url.index(after: comma)...])
            guard metadata.contains(where: { $0.lowercased() == "base64" }), !payload.isEmpty,
                let mime = metadata.first(where: { $0.contains("/") })?.lowercased(),
                limits.allowedMimes.contains(mime),
                let decoded = Data(base64Encoded: payload, options: .ignoreUnknownCharacters)
            else { throw RequestValidationError(invalidImage) }
            total += decoded.count
            guard decoded.count <= limits.maxBytesPerImage, total <= limits.maxTotalBytes else {
                throw RequestValidationError(invalidImage)
            }
            images.append(ImageInput(mimeType: mime, base64Data: payload))
        }
        return images
    }
}
