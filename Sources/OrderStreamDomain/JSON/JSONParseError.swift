/// Why a byte sequence is not a JSON text, and where.
///
/// A typed value (not a string) so callers can map it to `malformed` without parsing
/// messages; the description never echoes input bytes, only an offset.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The class of fault.
    public enum Kind: String, Sendable, Equatable {
        case unexpectedEnd = "unexpected end of input"
        case unexpectedByte = "unexpected byte"
        case invalidUTF8 = "invalid UTF-8"
        case invalidEscape = "invalid escape"
        case loneSurrogate = "lone surrogate escape"
        case controlCharacter = "unescaped control character in string"
        case invalidNumber = "invalid number"
        case tooDeep = "nesting deeper than the limit"
        case trailingData = "trailing data after the JSON value"
    }

    public let kind: Kind
    /// Byte offset in the input where the fault was detected.
    public let offset: Int

    public init(_ kind: Kind, at offset: Int) {
        self.kind = kind
        self.offset = offset
    }

    public var description: String { "\(kind.rawValue) at byte \(offset)" }
}
