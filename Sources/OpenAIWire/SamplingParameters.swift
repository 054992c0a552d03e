/// Sampling parameters a client may set; forwarded to the provider when present (D-10).
public struct SamplingParameters: Sendable, Hashable {
    public var maxTokens: Int?
    public var temperature: Double?
    public var topP: Double?
    public var frequencyPenalty: Double?
    public var presencePenalty: Double?
    public var seed: Int?
    public var stop: [String]?
    public var responseFormat: JSONValue?

    public init(
        maxTokens: Int? = nil, temperature: Double? = nil, topP: Double? = nil,
        frequencyPenalty: Double? = nil, presencePenalty: Double? = nil, seed: Int? = nil,
        stop: [String]? = nil, responseFormat: JSONValue? = nil
    ) {
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.frequencyPenalty = frequencyPenalty
        self.presencePenalty = presencePenalty
        self.seed = seed
        self.stop = stop
        self.responseFormat = responseFormat
    }
}
