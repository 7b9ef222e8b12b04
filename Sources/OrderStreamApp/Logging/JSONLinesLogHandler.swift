import Foundation
import Logging
import OrderStreamDomain
import Synchronization

/// A swift-log handler that writes one JSON object per line to stderr, for log aggregation
/// (ELK, Loki): `time`, `level`, `message`, `label`, then every metadata key (topic, partition,
/// offset, event_id, color, instance, ...) as a string.
public struct JSONLinesLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String

    public init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let line = Self.render(
            time: Date(), level: event.level, message: "\(event.message)", label: label,
            metadata: metadata.merging(event.metadata ?? [:]) { _, new in new }
        )
        JSONLinesOutput.write(line)
    }

    /// One log line as JSON, without the trailing newline.
    static func render(
        time: Date, level: Logger.Level, message: String, label: String, metadata: Logger.Metadata
    ) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        let micros = Int64(time.timeIntervalSince1970 * 1_000_000)
        writer.key("time"); writer.string(RFC3339.formatMillis(micros))
        writer.key("level"); writer.string(level.rawValue)
        writer.key("message"); writer.string(message)
        writer.key("label"); writer.string(label)
        for key in metadata.keys.sorted() where !["time", "level", "message", "label"].contains(key) {
            writer.key(key); writer.string("\(metadata[key]!)")
        }
        writer.endObject()
        return writer.text
    }
}

/// Serialises writes so that lines from different threads never interleave.
enum JSONLinesOutput {
    private static let lock = Mutex(())

    static func write(_ line: String) {
        lock.withLock { _ in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }
}
