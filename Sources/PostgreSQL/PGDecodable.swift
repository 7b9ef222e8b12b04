/// A Swift type that a result value in PostgreSQL's text format decodes into.
///
/// It exists so results are read as `try result.decode(Int64.self, row: 0, column: "n")`
/// with a typed error naming the column when the text is not a valid value.
public protocol PGDecodable: Sendable {
    /// nil when `text` is not a valid value of this type.
    init?(pgText text: String)
}

extension String: PGDecodable {
    public init?(pgText text: String) { self = text }
}

extension Int: PGDecodable {
    public init?(pgText text: String) { self.init(text) }
}

extension Int32: PGDecodable {
    public init?(pgText text: String) { self.init(text) }
}

extension Int64: PGDecodable {
    public init?(pgText text: String) { self.init(text) }
}

extension Bool: PGDecodable {
    /// PostgreSQL's text output is `t` / `f`; the input spellings are accepted too.
    public init?(pgText text: String) {
        switch text {
        case "t", "true", "TRUE", "on", "1", "yes": self = true
        case "f", "false", "FALSE", "off", "0", "no": self = false
        default: return nil
        }
    }
}

extension Double: PGDecodable {
    public init?(pgText text: String) {
        switch text {
        case "NaN": self = .nan
        case "Infinity": self = .infinity
        case "-Infinity": self = -.infinity
        default: self.init(text)
        }
    }
}
