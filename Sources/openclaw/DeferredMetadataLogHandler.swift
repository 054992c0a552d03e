import Logging

/// Writes lines like swift-log's `StreamLogHandler`, but renders a logger's metadata only when
/// a line is written.
///
/// `StreamLogHandler` sorts and joins its whole metadata into a string each time one item is set.
/// Hummingbird sets one per connection and one per request (`hb.request.id`) on loggers that
/// mostly write nothing at the default level: that rendering was ~1.4% of a request's CPU and
/// ~2.5% of a new connection's. Here setting an item only stores it; a written line renders the
/// metadata once, through the wrapped handler, with the same format.
struct DeferredMetadataLogHandler: LogHandler {
    private var output: StreamLogHandler
    var metadata: Logger.Metadata = [:]

    init(_ output: StreamLogHandler) {
        self.output = output
    }

    var logLevel: Logger.Level {
        get { output.logLevel }
        set { output.logLevel = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { output.metadataProvider }
        set { output.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var output = self.output
        output.metadata = metadata
        output.log(event: event)
    }
}
