import Foundation
import Testing

@testable import PostgreSQL

/// Encoding and decoding rules that need no server.
@Suite
struct ValueEncodingTests {
    @Test func arrayLiteralQuotesAndEscapes() {
        let values: [String?] = ["a", "b\"c", "d\\e", "f,g", "{h}", "", "NULL", nil, " sp "]
        #expect(values.pgText == #"{"a","b\"c","d\\e","f,g","{h}","","NULL",NULL," sp "}"#)
        #expect([Int64]().pgText == "{}")
        #expect([Int64(1), -2].pgText == #"{"1","-2"}"#)
    }

    @Test func aNULAnywhereInAParameterIsRefusedBeforeLibpqCouldTruncateAtIt() throws {
        let long = (0..<20_000).map { "element-\($0)" }
        #expect(try PGConnection.encode(["plain", long, nil]) == ["plain", long.pgText, nil])
        let refused: [PGValue] = ["a\u{0}b", long + ["last\u{0}"], ["é\u{0}"] as [String]]
        for param in refused {
            let error = #expect(throws: PGError.self) { try PGConnection.encode(["fine", param]) }
            #expect(error?.message == "parameter $2 contains a NUL byte, which PostgreSQL text cannot hold")
        }
    }

    @Test func scalarsEncode() {
        #expect(true.pgText == "true")
        #expect(Int64.min.pgText == "-9223372036854775808")
        #expect(Double.infinity.pgText == "Infinity")
        #expect((-Double.infinity).pgText == "-Infinity")
        #expect(Double.nan.pgText == "NaN")
        #expect(0.1.pgText == "0.1")
    }

    @Test func parameterListsAcceptLiterals() {
        let orderId = "o-1"
        let params: [PGValue?] = [orderId, 42, ["a", "b"], nil, Int64(7), [Int32(1)], ["x", nil] as [String?]]
        #expect(params.map { $0?.pgText } == ["o-1", "42", #"{"a","b"}"#, nil, "7", #"{"1"}"#, #"{"x",NULL}"#])
    }

    @Test func decodableParsesPostgresText() {
        #expect(Bool(pgText: "t") == true)
        #expect(Bool(pgText: "f") == false)
        #expect(Bool(pgText: "maybe") == nil)
        #expect(Double(pgText: "Infinity") == .infinity)
        #expect(Double(pgText: "NaN")?.isNaN == true)
        #expect(Int64(pgText: "12x") == nil)
        #expect(Int32(pgText: "2147483648") == nil)
    }

    @Test func copyTextEscapes() {
        #expect(PGCopyText.line(["a\tb", nil, "c\\d\ne\r", ""]) == "a\\tb\t\\N\tc\\\\d\\ne\\r\t\n")
    }

    @Test func checksumIsFNV1a64() {
        // Published FNV-1a 64 test vectors.
        #expect(Migration(version: 1, name: "x", sql: "").checksum == "cbf29ce484222325")
        #expect(Migration(version: 1, name: "x", sql: "a").checksum == "af63dc4c8601ec8c")
        #expect(Migration(version: 1, name: "x", sql: "foobar").checksum == "85944171f73967e8")
    }

    @Test func errorKindsTransience() {
        #expect(PGError(kind: .serializationFailure, message: "x").isTransient)
        #expect(PGError(kind: .lockNotAvailable, message: "x").isTransient)
        #expect(!PGError(kind: .uniqueViolation, message: "x").isTransient)
        #expect(!PGError(kind: .queryCanceled, message: "x").isTransient)
    }
}
