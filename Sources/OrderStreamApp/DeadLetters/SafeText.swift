import OrderStreamDomain

/// Bytes of unknown content made safe for a terminal: valid UTF-8 stays readable with its
/// control characters and backslashes escaped (`\n`, `\u{1B}`, `\\`); anything that is not
/// UTF-8 shows its printable ASCII and `\xNN` for every other byte. Nothing a dead letter holds
/// can move the cursor or change the terminal's state.
enum SafeText {
    static func escaped(_ bytes: [UInt8]) -> String {
        var out = ""
        if let text = String(validating: bytes, as: UTF8.self) {
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                default:
                    let category = scalar.properties.generalCategory
                    if category == .control || category == .format || category == .lineSeparator
                        || category == .paragraphSeparator
                    {
                        out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            return out
        }
        for byte in bytes {
            if byte == UInt8(ascii: "\\") {
                out += "\\\\"
            } else if byte >= 0x20 && byte < 0x7F {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "\\x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// `value` as indented JSON (keys sorted, strings escaped as JSON does), for `dlq show`.
    static func prettyJSON(_ value: JSONValue, indent: String = "") -> String {
        let inner = indent + "  "
        switch value {
        case .object(let members):
            guard !members.isEmpty else { return "{}" }
            let lines = members.keys.sorted().map { name in
                inner + JSONWriter.quoted(name) + ": " + prettyJSON(members[name] ?? .null, indent: inner)
            }
            return "{\n" + lines.joined(separator: ",\n") + "\n" + indent + "}"
        case .array(let elements):
            guard !elements.isEmpty else { return "[]" }
            return "[\n" + elements.map { inner + prettyJSON($0, indent: inner) }.joined(separator: ",\n") + "\n"
                + indent + "]"
        default:
            var writer = JSONWriter()
            writer.value(value)
            return writer.text
        }
    }
}
