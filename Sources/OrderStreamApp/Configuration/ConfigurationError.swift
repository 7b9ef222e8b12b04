/// A configuration problem, named precisely enough for an operator to fix it. Never contains a
/// secret value.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
