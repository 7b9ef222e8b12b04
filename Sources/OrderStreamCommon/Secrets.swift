/// The one rule for what is secret and how it is masked, shared by every layer that prints
/// configuration or errors (Kafka, PostgreSQL, the App).
public enum Secrets {
    /// What a secret value is replaced with, everywhere.
    public static let mask = "***"

    /// Name fragments of properties whose values are secrets (the union of what the layers
    /// masked before they shared this rule): any property whose lowercased name contains one.
    public static let secretNameFragments = ["password", "secret", "token", "sasl.oauthbearer", "ssl.key", "ssl_key"]

    /// Whether a configuration property's value (librdkafka or ours) must never be printed.
    public static func isSecretProperty(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return secretNameFragments.contains { lowered.contains($0) }
    }

    /// `value`, or the mask when `property` is secret.
    public static func masked(property: String, value: String) -> String {
        isSecretProperty(property) ? mask : value
    }

    /// A PostgreSQL URL or conninfo string with every password in it masked (see
    /// `ConnectionStringPasswords`): safe to print even when it does not parse.
    public static func redactConnectionString(_ raw: String) -> String {
        var text = raw
        for range in ConnectionStringPasswords.ranges(in: raw).reversed() {
            text.replaceSubrange(range, with: mask)
        }
        return text
    }
}
