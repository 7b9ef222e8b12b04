import Foundation

/// Removes known secrets from text before it becomes part of an error or a log line.
///
/// libpq sometimes echoes parts of a connection string in its messages (for example a
/// malformed percent-encoded token, which may be the password), and a server message could
/// quote anything. Every message that can reach a `PGError` passes through one of these.
public struct SecretScrubber: Sendable {
    private var secrets: [String]

    public init(secrets: [String]) {
        // Longest first so a secret that contains another is masked whole.
        self.secrets = Array(Set(secrets.filter { !$0.isEmpty })).sorted { $0.count > $1.count }
    }

    public static let none = SecretScrubber(secrets: [])

    public func scrub(_ text: String) -> String {
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: Secrets.mask)
        }
        return result
    }
}
