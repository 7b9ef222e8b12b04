import Testing

@testable import OrderStreamDomain

@Suite("JSONParser")
struct JSONParserTests {
    func parse(_ text: String) throws(JSONParseError) -> JSONValue { try JSONParser.parse(text) }
    func kind(_ bytes: [UInt8]) -> JSONParseError.Kind? {
        do { _ = try JSONParser.parse(bytes); return nil } catch { return error.kind }
    }
    func kind(_ text: String) -> JSONParseError.Kind? { kind(Array(text.utf8)) }

    @Test("integers vs numbers")
    func numbers() throws {
        #expect(try parse("3098") == .integer(3098))
        #expect(try parse("-0") == .integer(0))
        #expect(try parse("9223372036854775807") == .integer(.max))
        #expect(try parse("-9223372036854775808") == .integer(.min))
        #expect(try parse("9223372036854775808") == .number("9223372036854775808"))
        #expect(try parse("-9223372036854775809") == .number("-9223372036854775809"))
        #expect(try parse("123456789012345678901234567890") == .number("123456789012345678901234567890"))
        #expect(try parse("3098.0") == .number("3098.0"))
        #expect(try parse("3e3") == .number("3e3"))
        #expect(try parse("-1.5E-7") == .number("-1.5E-7"))
        for bad in ["01", "-", "1.", ".5", "1e", "1e+", "+1", "0x10", "1.e3", "--1", "NaN", "Infinity"] {
            #expect(kind(bad) != nil, "\(bad) must be rejected")
        }
    }

    @Test("literals, containers, whitespace")
    func structure() throws {
        #expect(
            try parse(" \t\r\n{ \"a\" : [ true , false , null ] } \n")
                == .object(["a": .array([.bool(true), .bool(false), .null])]))
        #expect(try parse("[]") == .array([]))
        #expect(try parse("{}") == .object([:]))
        #expect(try parse("\"x\"") == .string("x"))
        for bad in [
            "", " ", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "[1 2]", "tru", "nul", "{\"a\":1}}", "[1]x",
            "\u{FEFF}{}", "'a'",
        ] {
            #expect(kind(bad) != nil, "\(bad.debugDescription) must be rejected")
        }
        #expect(kind("{} {}") == .trailingData)
        #expect(kind("[1] garbage") == .trailingData)
    }

    @Test("duplicate keys: last wins")
    func duplicateKeys() throws {
        #expect(try parse(#"{"a":1,"a":2}"#) == .object(["a": .integer(2)]))
    }

    @Test("escapes and surrogates")
    func escapes() throws {
        #expect(try parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{8}\u{C}\n\r\t"))
        #expect(try parse(#""\u00e9\u20AC""#) == .string("é€"))
        #expect(try parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try parse(#""a\u0000b""#) == .string("a\u{0}b"))
        #expect(try parse("\"é😀\"") == .string("é😀"))
        #expect(kind(#""\ud83d""#) == .loneSurrogate)
        #expect(kind(#""\ud83dx""#) == .loneSurrogate)
        #expect(kind(#""\ude00""#) == .loneSurrogate)
        #expect(kind(#""\ud83d\u0041""#) == .loneSurrogate)
        #expect(kind(#""\x""#) == .invalidEscape)
        #expect(kind(#""\u12G4""#) == .invalidEscape)
        #expect(kind(#""\u12""#) != nil)
        #expect(kind("\"a\nb\"") == .controlCharacter)
        #expect(kind("\"a\u{1F}\"") == .controlCharacter)
        #expect(kind("\"abc") == .unexpectedEnd)
    }

    @Test("invalid UTF-8 anywhere is an error")
    func invalidUTF8() {
        let q = UInt8(ascii: "\"")
        let cases: [[UInt8]] = [
            [q, 0xFF, q], [q, 0xC0, 0x80, q], [q, 0xC3, q], [q, 0xE0, 0x80, 0x80, q],  // overlongs, truncation
            [q, 0xED, 0xA0, 0x80, q],  // encoded surrogate
            [q, 0xF4, 0x90, 0x80, 0x80, q],  // > U+10FFFF
            [q, 0xF0, 0x9F, 0x98, q],  // truncated 4-byte
            [q, 0x80, q],  // lone continuation
            [0xEF, 0xBB, 0xBF] + Array("{}".utf8),  // BOM outside a string
            [q, 0xE2, 0x82],  // ends mid-sequence
        ]
        for bytes in cases {
            #expect(kind(bytes) != nil, "\(bytes) must be rejected")
        }
        #expect(kind([q, 0xE2, 0x82, 0xAC, q]) == nil)
        #expect(kind([q, 0xF4, 0x8F, 0xBF, 0xBF, q]) == nil)
    }

    @Test("nesting: 64 levels parse, 65 and 100,000 are errors, not crashes")
    func depth() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(kind(ok) == nil)
        let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(kind(tooDeep) == .tooDeep)
        #expect(kind(String(repeating: "[", count: 100_000)) == .tooDeep)
        #expect(kind(String(repeating: #"{"a":"#, count: 100_000)) == .tooDeep)
    }

    @Test("errors carry a byte offset")
    func offsets() throws {
        do {
            _ = try JSONParser.parse("[1, 2, x]")
            Issue.record("expected an error")
        } catch {
            #expect(error.offset == 7)
            #expect(error.description.contains("7"))
        }
    }

    @Test("raw-buffer entry point agrees with the array one")
    func rawBuffer() throws {
        let bytes = Array(#"{"a":[1,2.5,"x"]}"#.utf8)
        let viaRaw = try bytes.withUnsafeBytes { buffer throws(JSONParseError) in try JSONParser.parse(buffer) }
        #expect(viaRaw == (try JSONParser.parse(bytes)))
    }

    @Test("writer output parses back to the same value")
    func writerRoundTrip() throws {
        let value: JSONValue = .object([
            "s": .string("quote\" back\\ nl\n tab\t ctl\u{1} é😀"),
            "i": .integer(.min), "n": .number("1.5e3"), "b": .bool(false), "z": .null,
            "a": .array([.integer(1), .object([:]), .array([])]),
        ])
        var writer = JSONWriter()
        writer.value(value)
        #expect(try JSONParser.parse(writer.bytes) == value)
        #expect(JSONWriter.quoted("a\"b\u{1}") == #""a\"b\u0001""#)

        var w = JSONWriter()
        w.beginObject(); w.field("a", 1); w.key("b"); w.beginArray(); w.integer(1); w.string("x"); w.null();
        w.endArray(); w.field("c", true); w.endObject()
        #expect(w.text == #"{"a":1,"b":[1,"x",null],"c":true}"#)
    }
}
