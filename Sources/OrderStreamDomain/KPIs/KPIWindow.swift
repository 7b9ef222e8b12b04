/// The `[from, to)` window of `GET /kpis?from=&to=`, in UTC microseconds.
///
/// Exists so the HTTP layer turns query strings into a checked window (or a 400 message) in one
/// call. Rules: both bounds or neither; each an RFC 3339 timestamp written on a whole minute
/// (seconds and fraction zero); `from < to`.
public struct KPIWindow: Sendable, Equatable, Hashable {
    public var fromMicros: Int64
    public var toMicros: Int64

    public init(fromMicros: Int64, toMicros: Int64) {
        self.fromMicros = fromMicros
        self.toMicros = toMicros
    }

    /// True when `micros` lies in `[from, to)`.
    public func contains(_ micros: Int64) -> Bool {
        micros >= fromMicros && micros < toMicros
    }

    /// Nil when both parameters are absent (totals); a window when both are valid.
    public static func parse(from: String?, to: String?) throws(KPIWindowError) -> KPIWindow? {
        if from == nil, to == nil { return nil }
        guard let from else { throw .missingParameter("from") }
        guard let to else { throw .missingParameter("to") }
        let fromMicros = try bound("from", from)
        let toMicros = try bound("to", to)
        guard fromMicros < toMicros else { throw .emptyRange }
        return KPIWindow(fromMicros: fromMicros, toMicros: toMicros)
    }

    private static func bound(_ name: String, _ text: String) throws(KPIWindowError) -> Int64 {
        guard let timestamp = RFC3339.parse(text) else { throw .notATimestamp(name) }
        guard timestamp.isWholeMinuteAsWritten, RFC3339.isWholeMinute(timestamp.utcMicros) else {
            throw .notWholeMinute(name)
        }
        return timestamp.utcMicros
    }
}

/// Why a KPI window query is invalid; `message` is safe to return in a 400 body.
public enum KPIWindowError: Error, Sendable, Equatable, CustomStringConvertible {
    case missingParameter(String)
    case notATimestamp(String)
    case notWholeMinute(String)
    case emptyRange

    public var message: String {
        switch self {
        case .missingParameter(let name): return "\(name) is required when the other bound is given"
        case .notATimestamp(let name): return "\(name) must be an RFC 3339 timestamp with a zone"
        case .notWholeMinute(let name): return "\(name) must be on a whole minute (seconds and fraction zero)"
        case .emptyRange: return "from must be earlier than to"
        }
    }

    public var description: String { message }

    /// `{"error":"<message>"}` for the 400 response.
    public var jsonBody: String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("error", message)
        writer.endObject()
        return writer.text
    }
}
