/// A parsed JSON document.
///
/// Exists so the validator can inspect an event's structure without Foundation. Numbers are
/// split the way the contract needs them: an *integer* (no fraction, no exponent, fits in
/// `Int64`) is `.integer`; every other number keeps its exact lexeme in `.number`, so
/// `3098.0`, `3e3` and `99999999999999999999` are never mistaken for integers.
///
/// Objects keep the *last* value of a duplicated key (RFC 8259 leaves this open; last-wins is
/// what most parsers do).
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case string(String)
    case integer(Int64)
    /// The exact lexeme of a number that is not a contract integer.
    case number(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

extension JSONValue {
    /// The string payload, or nil for any other case.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The integer payload, or nil for any other case (including `.number`).
    public var integerValue: Int64? {
        if case .integer(let i) = self { return i }
        return nil
    }

    /// The object payload, or nil for any other case.
    public var objectValue: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The array payload, or nil for any other case.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// A short name of the JSON type, for error details ("string", "integer", ...).
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .string: return "string"
        case .integer: return "integer"
        case .number: return "number"
        case .array: return "array"
        case .object: return "object"
        }
    }
}
