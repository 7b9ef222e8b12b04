/// Builds lines for `COPY ... FROM STDIN` in PostgreSQL's text format.
///
/// It exists because COPY text has its own escaping (tab separators, `\N` for NULL,
/// backslash escapes) that differs from array literals and SQL strings.
public enum PGCopyText {
    /// One field: backslash, tab, newline and carriage return escaped; nil becomes `\N`.
    public static func field(_ value: String?) -> String {
        guard let value else { return "\\N" }
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": out.append("\\\\")
            case "\t": out.append("\\t")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// One line: fields separated by tabs, with a trailing newline.
    public static func line(_ fields: [String?]) -> String {
        fields.map(field).joined(separator: "\t") + "\n"
    }
}
