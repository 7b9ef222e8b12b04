/// A value that can be an element of a PostgreSQL array parameter.
///
/// It exists so `[String]`, `[Int64]`, `[Int32]`, `[String?]`, ... become array literals
/// (`{"a","b\"c",NULL}`) that `unnest($1::text[])` accepts, with every element quoted and
/// escaped so commas, braces, quotes, backslashes, whitespace and the word NULL survive.
public protocol PGArrayElement: Sendable {
    /// The element's text, or nil for NULL.
    var pgArrayElementText: String? { get }
}

extension String: PGArrayElement {
    public var pgArrayElementText: String? { self }
}

extension Int: PGArrayElement {
    public var pgArrayElementText: String? { pgText }
}

extension Int32: PGArrayElement {
    public var pgArrayElementText: String? { pgText }
}

extension Int64: PGArrayElement {
    public var pgArrayElementText: String? { pgText }
}

extension Bool: PGArrayElement {
    public var pgArrayElementText: String? { pgText }
}

extension Double: PGArrayElement {
    public var pgArrayElementText: String? { pgText }
}

extension Optional: PGArrayElement where Wrapped: PGArrayElement {
    public var pgArrayElementText: String? {
        switch self {
        case .none: return nil
        case .some(let wrapped): return wrapped.pgArrayElementText
        }
    }
}

extension Array: PGEncodable where Element: PGArrayElement {
    /// A one-dimensional array literal; every non-NULL element is double-quoted.
    public var pgText: String {
        var out = "{"
        out.reserveCapacity(count * 8 + 2)
        var first = true
        for element in self {
            if !first { out.append(",") }
            first = false
            guard let text = element.pgArrayElementText else {
                out.append("NULL")
                continue
            }
            out.append("\"")
            for scalar in text.unicodeScalars {
                if scalar == "\"" || scalar == "\\" { out.unicodeScalars.append("\\") }
                out.unicodeScalars.append(scalar)
            }
            out.append("\"")
        }
        out.append("}")
        return out
    }
}
