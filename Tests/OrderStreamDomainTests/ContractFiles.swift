import Foundation
import Testing

/// Reads the contract's examples and table-test cases from `Tests/Fixtures/contract/`, found
/// from this file's own path, so the tests read only what the repository carries.
enum ContractFiles {
    struct Case {
        let name: String
        let topic: String
        let key: [UInt8]?
        let value: [UInt8]?
        let expect: String
        let build: String?
    }

    /// `Tests/Fixtures/contract`, two folders up from this file (`Tests/OrderStreamDomainTests/`).
    static let examplesDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/contract")

    static func cases() throws -> [Case] {
        let url = examplesDirectory.appendingPathComponent("cases.jsonl")
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let valueB64 = object["value_b64"] as? String
            let value = try valueB64.map { try #require(Data(base64Encoded: $0)).map { $0 } }
            return Case(
                name: try #require(object["name"] as? String),
                topic: try #require(object["topic"] as? String),
                key: (object["key"] as? String).map { Array($0.utf8) },
                value: value,
                expect: try #require(object["expect"] as? String),
                build: object["build"] as? String)
        }
    }

    /// The bytes of `Tests/Fixtures/contract/<name>`.
    static func example(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: examplesDirectory.appendingPathComponent(name)))
    }
}
