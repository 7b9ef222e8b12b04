import CLibPQ
import OrderStreamCommon

/// Where and how to connect, parsed once from a libpq URL or conninfo string.
///
/// It exists so a bad `ORDERSTREAM_DATABASE_URL` fails at startup with a message that
/// names the problem (and never the password), and so that the connection string can be
/// logged safely through `redacted`. Every parameter (sslmode, options, target_session_attrs,
/// ...) is passed to libpq unchanged, in the order given.
///
/// Defaults added only when the string does not set them:
/// - `connect_timeout=10` (seconds), so a blackholed host cannot block a thread forever.
public struct PGConnectionConfiguration: Sendable, CustomStringConvertible {
    /// One libpq keyword and its value.
    public struct Parameter: Sendable, Equatable {
        public var keyword: String
        public var value: String
    }

    /// The parameters the string set explicitly, in libpq's keyword order.
    public private(set) var parameters: [Parameter]

    /// Sent as `application_name` (replacing one from the string). Used to find this
    /// process's sessions in `pg_stat_activity`, e.g. to fence a frozen worker.
    public var applicationName: String?

    let scrubber: SecretScrubber

    /// Parses a `postgresql://` / `postgres://` URL or a `key=value ...` conninfo string.
    /// - Throws: `PGError` of kind `.invalidConfiguration`, message `invalid database URL: ...`.
    public init(_ urlOrConninfo: String) throws(PGError) {
        let rawScrubber = SecretScrubber(secrets: ConnectionStringPasswords.candidates(in: urlOrConninfo))
        var errorMessage: UnsafeMutablePointer<CChar>? = nil
        guard let options = PQconninfoParse(urlOrConninfo, &errorMessage) else {
            var reason = "out of memory"
            if let errorMessage {
                reason = String(cString: errorMessage).trimmingTrailingWhitespace()
                PQfreemem(errorMessage)
            }
            throw PGError(
                kind: .invalidConfiguration,
                message: "invalid database URL: \(rawScrubber.scrub(reason))")
        }
        defer { PQconninfoFree(options) }

        var parsed: [Parameter] = []
        var index = 0
        while let keyword = options[index].keyword {
            if let value = options[index].val {
                parsed.append(Parameter(keyword: String(cString: keyword), value: String(cString: value)))
            }
            index += 1
        }
        // libpq only checks the port when connecting; fail at startup instead.
        if let port = parsed.last(where: { $0.keyword == "port" })?.value {
            for part in port.split(separator: ",", omittingEmptySubsequences: false) where !part.isEmpty {
                guard let number = Int(part), (1...65535).contains(number) else {
                    throw PGError(
                        kind: .invalidConfiguration,
                        message: "invalid database URL: invalid port \"\(rawScrubber.scrub(String(part)))\"")
                }
            }
        }
        if !parsed.contains(where: { $0.keyword == "connect_timeout" }) {
            parsed.append(Parameter(keyword: "connect_timeout", value: "10"))
        }
        self.parameters = parsed
        let passwords = parsed.filter { $0.keyword == "password" }.map(\.value)
        self.scrubber = SecretScrubber(
            secrets: passwords + ConnectionStringPasswords.candidates(in: urlOrConninfo))
    }

    /// The value of a libpq keyword as given (nil when not set).
    public func value(for keyword: String) -> String? {
        if keyword == "application_name", let applicationName { return applicationName }
        return parameters.last(where: { $0.keyword == keyword })?.value
    }

    /// A copy with `application_name` set.
    public func withApplicationName(_ name: String) -> PGConnectionConfiguration {
        var copy = self
        copy.applicationName = name
        return copy
    }

    /// A copy with one more libpq parameter (replacing an existing one of that keyword),
    /// e.g. `("options", "-c search_path=myschema")`.
    public func withParameter(_ keyword: String, _ value: String) -> PGConnectionConfiguration {
        var copy = self
        copy.parameters.removeAll { $0.keyword == keyword }
        copy.parameters.append(Parameter(keyword: keyword, value: value))
        return copy
    }

    /// What is handed to `PQconnectdbParams`: every parameter, then `application_name`.
    var connectionParameters: [Parameter] {
        var result = parameters
        if let applicationName {
            result.removeAll { $0.keyword == "application_name" }
            result.append(Parameter(keyword: "application_name", value: applicationName))
        }
        return result
    }

    /// `key=value` text of every parameter with the password masked; safe to log.
    public var redacted: String {
        connectionParameters.map { parameter in
            let value = parameter.keyword == "password" ? Secrets.mask : parameter.value
            return "\(parameter.keyword)=\(value)"
        }.joined(separator: " ")
    }

    public var description: String { redacted }
}

extension String {
    func trimmingTrailingWhitespace() -> String {
        var copy = self
        while let last = copy.last, last.isWhitespace { copy.removeLast() }
        return copy
    }
}
