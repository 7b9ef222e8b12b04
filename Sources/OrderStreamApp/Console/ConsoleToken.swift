import Foundation

/// The bearer token that every console action must carry (`Authorization: Bearer <token>`),
/// read once from a secret file (`ORDERSTREAM_CONSOLE_TOKEN_FILE` or `--token-file`). A header,
/// never a cookie: a browser never sends it on its own, so another site cannot make a logged-in
/// operator's browser act (no CSRF to defend against).
struct ConsoleToken: Sendable {
    /// Shorter tokens are refused at start: a guessable token guards cutovers.
    static let minimumLength = 16

    private let bytes: [UInt8]

    /// A token from the file's text; surrounding whitespace (the file's final newline) is
    /// dropped. Refuses a short token or one with whitespace or control characters inside.
    init(_ text: String, source: String) throws(ConfigurationError) {
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard token.utf8.count >= Self.minimumLength else {
            throw ConfigurationError(
                "\(source): the console token must have at least \(Self.minimumLength) characters (e.g. `openssl rand -hex 32`)"
            )
        }
        guard token.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw ConfigurationError("\(source): the console token must be printable ASCII without spaces")
        }
        bytes = Array(token.utf8)
    }

    static func load(path: String, source: String) throws(ConfigurationError) -> ConsoleToken {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw ConfigurationError("\(source): cannot read the token file \(path)")
        }
        return try ConsoleToken(text, source: source)
    }

    /// What an `Authorization` header proves.
    enum Verdict: Equatable {
        case accepted
        case missing
        /// Not `Bearer <token>`.
        case malformed
        case wrong
    }

    func check(authorization: String?) -> Verdict {
        guard let authorization, !authorization.isEmpty else { return .missing }
        let prefix = "Bearer "
        guard authorization.count > prefix.count, authorization.lowercased().hasPrefix(prefix.lowercased()) else {
            return .malformed
        }
        let given = Array(authorization.utf8.dropFirst(prefix.utf8.count))
        return Self.equalInConstantTime(given, bytes) ? .accepted : .wrong
    }

    /// Compares without returning early, so the time taken says nothing about how much of a
    /// guess was right (only its length, which the minimum makes useless to know).
    static func equalInConstantTime(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= x ^ y
        }
        return difference == 0
    }
}
