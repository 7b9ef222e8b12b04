import Foundation
import Testing

/// Finds and decodes the shared contract examples (`shared/contract/examples/cases.jsonl`).
///
/// Exists so tests run unchanged in this package and in the main repository: both keep
/// `shared/` beside the package root, so we walk up from this file and look for
/// `<level>/../shared/contract` (or `<level>/shared/contract`).
enum ContractFiles {
    struct Case {
        let name: String
        let topic: String
        let key: [UInt8]?
        let value: [UInt8]?
        let expect: String
        let build: String?
    }

    static func examplesDirectory(filePath: String = #filePath) throws -> URL {
        var level = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        while level.path != "/" {
            for candidate in [level.appendingPathComponent("../shared/contract/examples"),
                              level.appendingPathComponent("shared/contract/examples")] {
                let file = candidate.appendingPathComponent("cases.jsonl").standardizedFileURL
                if FileManager.default.fileExists(atPath: file.path) { return candidate.standardizedFileURL }
            }
            level = level.deletingLastPathComponent()
        }
        Issue.record("shared/contract/examples/cases.jsonl not found above \(filePath); keep shared/ beside the package root")
        throw CocoaError(.fileNoSuchFile)
    }

    static func cases() throws -> [Case] {
        let url = try examplesDirectory().appendingPathComponent("cases.jsonl")
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let valueB64 = object["value_b64"] as? String
            let value = try valueB64.map { try #require(Data(base64Encoded: $0)).map { $0 } }
            return Case(name: try #require(object["name"] as? String),
                        topic: try #require(object["topic"] as? String),
                        key: (object["key"] as? String).map { Array($0.utf8) },
                        value: value,
                        expect: try #require(object["expect"] as? String),
                        build: object["build"] as? String)
        }
    }

    /// The bytes of `examples/<name>`.
    static func example(_ name: String) throws -> [UInt8] {
        let url = try examplesDirectory().appendingPathComponent(name)
        return [UInt8](try Data(contentsOf: url))
    }
}
