/// Masks secrets before anything is printed or logged.
public enum SecretRedaction {
    /// librdkafka properties whose values are secrets.
    public static func isSecretProperty(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return ["password", "secret", "sasl.oauthbearer.config", "ssl.key.pem", "ssl_key", "token"]
            .contains { lowered.contains($0) }
    }

    /// Replaces the password of a `scheme://user:password@host/...` URL and of a
    /// `password=...` conninfo pair with `*****`.
    public static func redactURL(_ url: String) -> String {
        var text = url
        if let schemeEnd = text.range(of: "://") {
            let rest = text[schemeEnd.upperBound...]
            if let at = rest.firstIndex(of: "@") {
                let userInfo = rest[rest.startIndex..<at]
                if let colon = userInfo.firstIndex(of: ":") {
                    text.replaceSubrange(text.index(after: colon)..<at, with: "*****")
                }
            }
        }
        // conninfo and URL query forms: password=...
        var result = ""
        var remainder = Substring(text)
        while let range = remainder.range(of: "password=") {
            result += remainder[..<range.upperBound]
            result += "*****"
            let tail = remainder[range.upperBound...]
            let end = tail.firstIndex(where: { $0 == " " || $0 == "&" }) ?? tail.endIndex
            remainder = tail[end...]
        }
        return result + remainder
    }
}
