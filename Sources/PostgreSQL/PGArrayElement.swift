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
    ///
    /// Built on UTF-8 bytes by hand because it is hot: a batch sends a dozen arrays of thousands
    /// of elements, and appending unicode scalar by scalar took a quarter of the worker's CPU
    /// (`perf`, docs/BENCHMARKS.md). Escaping bytes is the same as escaping scalars here: in
    /// UTF-8 the bytes of `"` and `\` never occur inside another scalar's encoding.
    public var pgText: String {
        var out: [UInt8] = []
        out.reserveCapacity(count * 12 + 2)
        out.append(UInt8(ascii: "{"))
        var first = true
        for element in self {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            guard var text = element.pgArrayElementText else {
                out.append(contentsOf: "NULL".utf8)
                continue
            }
            out.append(UInt8(ascii: "\""))
            text.withUTF8 { bytes in
                if !bytes.contains(where: Self.needsEscape) {
                    out.append(contentsOf: bytes)
                    return
                }
                for byte in bytes {
                    if Self.needsEscape(byte) { out.append(UInt8(ascii: "\\")) }
                    out.append(byte)
                }
            }
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    /// A quote or a backslash: escaped with a backslash inside a quoted array element.
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }
}
