/// Builds JSON text into a byte buffer.
///
/// Exists so the load generator and the HTTP layer can emit JSON without Foundation and
/// without hand-escaping strings. Commas are inserted automatically; the caller only states
/// structure (`beginObject`, `key`, values, `endObject`). Misuse (a value where a key is due)
/// produces invalid JSON rather than a trap, so a programming error is visible in tests.
public struct JSONWriter: Sendable {
    /// The JSON written so far, as UTF-8.
    public private(set) var bytes: [UInt8] = []
    /// One entry per open container: whether it already holds a member (so a comma is due).
    private var hasMember: [Bool] = []
    /// True right after `key(_:)`: the next value follows a colon, not a comma.
    private var afterKey = false

    public init(reservingCapacity capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    /// The JSON written so far, as a String.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    // MARK: Structure

    public mutating func beginObject() {
        prepareValue()
        bytes.append(UInt8(ascii: "{"))
        hasMember.append(false)
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        _ = hasMember.popLast()
    }

    public mutating func beginArray() {
        prepareValue()
        bytes.append(UInt8(ascii: "["))
        hasMember.append(false)
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        _ = hasMember.popLast()
    }

    /// Writes an object key; the next call must write its value.
    public mutating func key(_ name: String) {
        prepareValue()
        Self.appendQuoted(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
    }

    // MARK: Values

    public mutating func string(_ value: String) {
        prepareValue()
        Self.appendQuoted(value, to: &bytes)
    }

    public mutating func integer(_ value: Int64) {
        prepareValue()
        bytes.append(contentsOf: String(value).utf8)
    }

    public mutating func bool(_ value: Bool) {
        prepareValue()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    public mutating func null() {
        prepareValue()
        bytes.append(contentsOf: "null".utf8)
    }

    /// Writes a finite Double in Swift's shortest round-trip form (valid JSON); a non-finite
    /// value, which JSON cannot express, is written as `null`.
    public mutating func double(_ value: Double) {
        guard value.isFinite else { null(); return }
        prepareValue()
        bytes.append(contentsOf: String(value).utf8)
    }

    /// Writes already-serialized JSON verbatim (the caller vouches for its validity).
    public mutating func raw(_ json: String) {
        prepareValue()
        bytes.append(contentsOf: json.utf8)
    }

    /// Writes any `JSONValue`; object keys are sorted so the output is deterministic.
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let b): bool(b)
        case .string(let s): string(s)
        case .integer(let i): integer(i)
        case .number(let lexeme): raw(lexeme)
        case .array(let elements):
            beginArray()
            for element in elements { self.value(element) }
            endArray()
        case .object(let members):
            beginObject()
            for name in members.keys.sorted() {
                key(name)
                if let member = members[name] { self.value(member) }
            }
            endObject()
        }
    }

    // MARK: Convenience members

    public mutating func field(_ name: String, _ value: String) { key(name); string(value) }
    public mutating func field(_ name: String, _ value: Int64) { key(name); integer(value) }
    public mutating func field(_ name: String, _ value: Bool) { key(name); bool(value) }

    // MARK: Helpers

    /// Emits the comma that separates this value from the previous member, if one is due.
    private mutating func prepareValue() {
        if afterKey {
            afterKey = false
            return
        }
        guard let last = hasMember.indices.last else { return }
        if hasMember[last] { bytes.append(UInt8(ascii: ",")) }
        hasMember[last] = true
    }

    /// `value` as a JSON string literal, quotes included.
    public static func quoted(_ value: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count + 2)
        appendQuoted(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `value` as a JSON string literal. Escapes `"`, `\` and every control character
    /// below U+0020; everything else (including non-ASCII) is written as UTF-8.
    public static func appendQuoted(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "\\"))
            case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0x00..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
