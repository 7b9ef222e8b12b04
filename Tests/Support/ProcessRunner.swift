import Foundation
import Glibc
import Synchronization

/// Starts `orderstream` (or any program) as a real process, for tests that need separate
/// processes: signals (SIGTERM, SIGKILL, SIGSTOP), several workers, crash safety.
public final class ProcessRunner: Sendable {
    public let process: Process
    public let outputPath: String
    public let name: String

    /// The `orderstream` executable built next to the test bundle.
    public static let executable: String = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "orderstream")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside.path }
        return TestEnvironment.repositoryRoot.appendingPathComponent(".build/debug/orderstream").path
    }()

    /// Where coverage profiles of child processes go: beside the test process's own, so the
    /// coverage report of scripts/test.sh includes what the executable ran.
    static var childEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for key in environment.keys where key.hasPrefix("ORDERSTREAM_") && !key.hasPrefix("ORDERSTREAM_TEST_") {
            environment[key] = nil  // a test sets what it means, nothing leaks in from the shell
        }
        if let profile = environment["LLVM_PROFILE_FILE"] {
            let folder = URL(fileURLWithPath: profile).deletingLastPathComponent().path
            environment["LLVM_PROFILE_FILE"] = folder + "/orderstream-child-%p.profraw"
        }
        return environment
    }

    private init(process: Process, outputPath: String, name: String) {
        self.process = process
        self.outputPath = outputPath
        self.name = name
    }

    /// Starts `orderstream <arguments>` with `environment` added; stdout and stderr go to a
    /// log file (read with `output`).
    /// With `separateStderr`, `output` holds stdout only and stderr goes to `<log>.stderr`.
    public static func start(
        _ name: String, _ arguments: [String], environment: [String: String] = [:],
        stdin: FileHandle? = nil, separateStderr: Bool = false
    ) throws -> ProcessRunner {
        try start(
            name, executable: executable, arguments, environment: environment, stdin: stdin,
            separateStderr: separateStderr)
    }

    public static func start(
        _ name: String, executable: String, _ arguments: [String],
        environment: [String: String] = [:], stdin: FileHandle? = nil,
        separateStderr: Bool = false
    ) throws -> ProcessRunner {
        let folder = ProcessInfo.processInfo.environment["ORDERSTREAM_TEST_TMP"] ?? NSTemporaryDirectory()
        let outputPath = folder + "/\(name)-\(UUID().uuidString.prefix(8)).log"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = childEnvironment.merging(environment) { _, new in new }
        process.currentDirectoryURL = TestEnvironment.repositoryRoot
        process.standardOutput = output
        if separateStderr {
            _ = FileManager.default.createFile(atPath: outputPath + ".stderr", contents: nil)
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath + ".stderr"))
        } else {
            process.standardError = output
        }
        if let stdin { process.standardInput = stdin } else { process.standardInput = FileHandle.nullDevice }
        try process.run()
        return ProcessRunner(process: process, outputPath: outputPath, name: name)
    }

    /// Everything the process wrote so far.
    public var output: String {
        (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    }

    public var isRunning: Bool { process.isRunning }

    public func signal(_ number: Int32) {
        if process.isRunning { _ = Glibc.kill(process.processIdentifier, number) }
    }

    /// Waits for the process to exit, at most `timeout`; its exit status, or nil when it still
    /// runs (then it is killed).
    @discardableResult
    public func wait(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if process.isRunning {
            signal(SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    /// Stops the process whatever it is doing (cleanup).
    public func kill() {
        signal(SIGCONT)
        signal(SIGKILL)
        if process.isRunning || process.processIdentifier > 0 { process.waitUntilExit() }
    }

    /// Runs a program to its end and returns its status and output (for short commands).
    public static func runToEnd(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        input: String? = nil
    ) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = childEnvironment.merging(environment) { _, new in new }
        process.currentDirectoryURL = TestEnvironment.repositoryRoot
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let inputPipe = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : inputPipe
        try process.run()
        if let input {
            inputPipe.fileHandleForWriting.write(Data(input.utf8))
            try? inputPipe.fileHandleForWriting.close()
        }
        // Read both pipes to their ends on separate threads so neither can fill and block.
        let errData = Mutex(Data())
        let reader = Thread { errData.withLock { $0 = err.fileHandleForReading.readDataToEndOfFile() } }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while reader.isExecuting || !reader.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        return (
            process.terminationStatus, String(decoding: outData, as: UTF8.self),
            String(decoding: errData.withLock { $0 }, as: UTF8.self)
        )
    }

    /// Runs `orderstream <arguments>` to its end.
    public static func orderstream(
        _ arguments: [String], environment: [String: String] = [:],
        input: String? = nil
    ) throws -> (status: Int32, stdout: String, stderr: String) {
        try runToEnd(executable, arguments, environment: environment, input: input)
    }
}
