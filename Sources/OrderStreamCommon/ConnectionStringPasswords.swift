import Foundation

/// Finds the passwords in a PostgreSQL URL or conninfo string without parsing it
/// successfully (it may be malformed): the one parser behind masking a connection string and
/// scrubbing libpq's messages.
///
/// - URL form (`scheme://user:password@host/db?password=...`): the userinfo password (up to
///   the last `@` of the authority, so a password may contain `@`) and every `password`
///   query parameter (any case).
/// - Keyword form (`host=h password = 'a b'`): the value after each `password =`, quoted
///   (with `\'` escapes) or up to the next whitespace.
public enum ConnectionStringPasswords {
    /// The ranges of `raw` that hold a password, in order, not overlapping.
    public static func ranges(in raw: String) -> [Range<String.Index>] {
        var found: [Range<String.Index>] = []
        if let schemeEnd = raw.range(of: "://") {
            let afterScheme = raw[schemeEnd.upperBound...]
            let authorityEnd =
                afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" })
                ?? afterScheme.endIndex
            let authority = afterScheme[..<authorityEnd]
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                found.append(authority.index(after: colon)..<at)
            }
            if let query = raw[authorityEnd...].firstIndex(of: "?") {
                var start = raw.index(after: query)
                while start < raw.endIndex {
                    let end = raw[start...].firstIndex(where: { $0 == "&" || $0 == "#" }) ?? raw.endIndex
                    let pair = raw[start..<end]
                    if let equals = pair.firstIndex(of: "="), pair[..<equals].lowercased() == "password" {
                        found.append(pair.index(after: equals)..<end)
                    }
                    guard end < raw.endIndex, raw[end] == "&" else { break }
                    start = raw.index(after: end)
                }
            }
        } else {
            var searchFrom = raw.startIndex
            while let keyword = raw.range(of: "password", range: searchFrom..<raw.endIndex) {
                searchFrom = keyword.upperBound
                var index = skipSpaces(raw, from: keyword.upperBound)
                guard index < raw.endIndex, raw[index] == "=" else { continue }
                index = skipSpaces(raw, from: raw.index(after: index))
                guard index < raw.endIndex else { break }
                let value: Range<String.Index>
                if raw[index] == "'" {
                    let start = raw.index(after: index)
                    var end = start
                    while end < raw.endIndex, raw[end] != "'" {
                        if raw[end] == "\\", raw.index(after: end) < raw.endIndex { end = raw.index(after: end) }
                        end = raw.index(after: end)
                    }
                    value = start..<end
                } else {
                    let end = raw[index...].firstIndex(where: \.isWhitespace) ?? raw.endIndex
                    value = index..<end
                }
                found.append(value)
                searchFrom = value.upperBound
            }
        }
        return found
    }

    /// Every password found, raw and percent-decoded (libpq may echo either).
    public static func candidates(in raw: String) -> [String] {
        ranges(in: raw).map { String(raw[$0]) }.flatMap { [$0, $0.removingPercentEncoding ?? $0] }
    }

    private static func skipSpaces(_ text: String, from start: String.Index) -> String.Index {
        var index = start
        while index < text.endIndex, text[index] == " " { index = text.index(after: index) }
        return index
    }
}
