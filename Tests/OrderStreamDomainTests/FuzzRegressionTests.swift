import Foundation
import Testing

@testable import OrderStreamDomain

/// Replays the fuzzer's committed corpus (`Fuzz/corpus/`) and every crash input kept in
/// `Fuzz/regressions/` through `ValidatorInvariant`, the very check the libFuzzer target
/// (`Fuzz/OrderStreamFuzz`) makes, so a fixed crash stays fixed without running the fuzzer.
@Suite("Fuzz corpus and regressions")
struct FuzzRegressionTests {
    /// The repository root, three levels up from this file (`Tests/OrderStreamDomainTests/`).
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The regular files directly in `Fuzz/<folder>`, sorted by name; none when it is missing.
    static func inputs(_ folder: String) throws -> [URL] {
        let directory = repositoryRoot.appendingPathComponent("Fuzz").appendingPathComponent(folder)
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        return try FileManager.default
            .contentsOfDirectory(at: directory, includingPropertiesForKeys: [.isRegularFileKey])
            .filter { try $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    static func replay(_ files: [URL]) throws {
        for file in files {
            let value = [UInt8](try Data(contentsOf: file))
            let problem = ValidatorInvariant.violation(in: value)
            #expect(problem == nil, "Fuzz input \(file.lastPathComponent): \(problem ?? "")")
        }
    }

    @Test("every file of the committed corpus keeps the invariant")
    func corpus() throws {
        let files = try Self.inputs("corpus")
        #expect(files.count >= 10, "Fuzz/corpus/ should hold the seeds")
        try Self.replay(files)
    }

    @Test("every crash input kept in Fuzz/regressions/ keeps the invariant")
    func regressions() throws {
        try Self.replay(try Self.inputs("regressions"))
    }

    @Test("the invariant holds for the contract's own cases and catches nothing on them")
    func contractCases() throws {
        for contractCase in try ContractFiles.cases() {
            guard let value = contractCase.value else { continue }
            #expect(ValidatorInvariant.violation(in: value) == nil, "\(contractCase.name)")
        }
    }
}
