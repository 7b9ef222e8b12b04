/// A Swift value that can be sent as a query parameter in PostgreSQL's text format.
///
/// It exists so callers can write `params: [orderId, 42, ["a", "b"]]` and let the server
/// infer or cast the type (`$3::text[]`). `nil` in a parameter list is SQL NULL.
public protocol PGEncodable: Sendable {
    /// The text-format representation PostgreSQL parses for this value.
    var pgText: String { get }
}

/// A query parameter: any `PGEncodable` value; `nil` (as `PGValue?`) is SQL NULL.
public typealias PGValue = any PGEncodable

extension String: PGEncodable {
    public var pgText: String { self }
}

extension Substring: PGEncodable {
    public var pgText: String { String(self) }
}

extension Int: PGEncodable {
    public var pgText: String { String(self) }
}

extension Int32: PGEncodable {
    public var pgText: String { String(self) }
}

extension Int64: PGEncodable {
    public var pgText: String { String(self) }
}

extension Bool: PGEncodable {
    public var pgText: String { self ? "true" : "false" }
}

extension Double: PGEncodable {
    /// Shortest text that round-trips; PostgreSQL's spellings for the special values.
    public var pgText: String {
        if isNaN { return "NaN" }
        if isInfinite { return self < 0 ? "-Infinity" : "Infinity" }
        return String(self)
    }
}
