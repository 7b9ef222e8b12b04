import Foundation

/// Removes known secrets from text before it becomes part of an error or a log line.
///
/// libpq sometimes echoes parts of a connection string in its messages (for example a
/// malformed percent-encoded token, which may be the password), and a server message could
/// quote anything. Every message that can reach a `PGError` passes through here.
struct SecretScrubber: Sendable {
    private var secrets: [String]

    init(secrets: [String]) {
        // Longest first so a secret that contains another is masked whole.
        self.secrets = Array(Set(secrets.filter { !$0.isEmpty })).sorted { $0.count > $1.count }
    }

    static let none = SecretScrubber(secrets: [])

    func scrub(_ text: String) -> String {
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: "***")
        }
        return result
    }

    /// Secrets that can be found in a raw URL or conninfo string without parsing it
    /// successfully: the URL's userinfo password, a `password=` query parameter, or a
    /// `password=` keyword, each both raw and percent-decoded.
    static func candidates(inRawConnectionString raw: String) -> [String] {
        var found: [String] = []
        if let schemeEnd = raw.range(of: "://") {
            let afterScheme = raw[schemeEnd.upperBound...]
            let authorityEnd = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? afterScheme.endIndex
            let authority = afterScheme[..<authorityEnd]
            if let at = authority.lastIndex(of: "@") {
                let userinfo = authority[..<at]
                if let colon = userinfo.firstIndex(of: ":") {
                    found.append(String(userinfo[userinfo.index(after: colon)...]))
                }
            }
            if let query = raw.firstIndex(of: "?") {
                for pair in raw[raw.index(after: query)...].split(separator: "&") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    if parts.count == 2, parts[0].lowercased() == "password" {
                        found.append(String(parts[1]))
                    }
                }
            }
        } else {
            // keyword=value form: take the token after `password =`, quoted or not.
            var rest = Substring(raw)
            while let range = rest.range(of: "password") {
                var index = range.upperBound
                rest = rest[range.upperBound...]
                while index < raw.endIndex, raw[index] == " " { index = raw.index(after: index) }
                guard index < raw.endIndex, raw[index] == "=" else { continue }
                index = raw.index(after: index)
                while index < raw.endIndex, raw[index] == " " { index = raw.index(after: index) }
                guard index < raw.endIndex else { break }
                let value: Substring
                if raw[index] == "'" {
                    let start = raw.index(after: index)
                    let end = raw[start...].firstIndex(of: "'") ?? raw.endIndex
                    value = raw[start..<end]
                } else {
                    let end = raw[index...].firstIndex(of: " ") ?? raw.endIndex
                    value = raw[index..<end]
                }
                found.append(String(value))
            }
        }
        return found.flatMap { [$0, $0.removingPercentEncoding ?? $0] }
    }
}
