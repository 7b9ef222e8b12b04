import Foundation
import PostgreSQL
import Synchronization
import Testing

/// Access to the real test server named by the environment, plus small helpers.
///
/// Tests fail (never skip) when the environment is missing, with the command that sets it.
enum TestDatabase {
    static let howToRun =
        "start a throwaway server and run: eval \"$(bash scripts/testdb.sh start /tmp/pgtest)\" && swift test"

    struct MissingEnvironment: Error, CustomStringConvertible {
        var variable: String
        var description: String { "\(variable) is not set; \(TestDatabase.howToRun)" }
    }

    static func url() throws -> String {
        guard let value = ProcessInfo.processInfo.environment["ORDERSTREAM_TEST_DATABASE_URL"], !value.isEmpty else {
            throw MissingEnvironment(variable: "ORDERSTREAM_TEST_DATABASE_URL")
        }
        return value
    }

    static func pgdata() throws -> String {
        guard let value = ProcessInfo.processInfo.environment["ORDERSTREAM_TEST_PGDATA"], !value.isEmpty else {
            throw MissingEnvironment(variable: "ORDERSTREAM_TEST_PGDATA")
        }
        return value
    }

    /// The password in the test URL (to check it never leaks into error text).
    static func password() throws -> String {
        let components = try #require(URLComponents(string: try url()))
        return try #require(components.password)
    }

    static func configuration() throws -> PGConnectionConfiguration {
        try PGConnectionConfiguration(try url())
    }

    static func connect() throws -> PGConnection {
        try PGConnection.connect(try configuration())
    }

    /// A fresh identifier, unique per call, safe unquoted in SQL.
    static func uniqueName(_ prefix: String) -> String {
        let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        return "\(prefix)_\(suffix)"
    }

    /// Creates a schema, hands `body` a configuration whose sessions use it as search_path,
    /// and drops it afterwards.
    static func withSchema<T>(_ prefix: String, _ body: (PGConnectionConfiguration) throws -> T) throws -> T {
        let schema = uniqueName(prefix)
        let admin = try connect()
        defer { admin.close() }
        try admin.execute("CREATE SCHEMA \(schema)")
        defer { _ = try? admin.execute("DROP SCHEMA \(schema) CASCADE") }
        let configuration = try configuration().withParameter("options", "-c search_path=\(schema)")
        return try body(configuration)
    }

    /// Runs a statement synchronously, ignoring errors (cleanup). A sync function, so it can
    /// be called from `defer` in async tests, where the async overloads would be chosen.
    static func runIgnoringErrors(_ connection: PGConnection, _ sql: String) {
        _ = try? connection.execute(sql)
    }

    /// Runs a statement synchronously (setup in async tests).
    static func run(_ connection: PGConnection, _ sql: String, _ params: [PGValue?] = []) throws -> PGResult {
        try connection.query(sql, params)
    }

    /// Path of scripts/testdb.sh (ORDERSTREAM_TESTDB_SCRIPT overrides).
    static func scriptPath() -> String {
        if let override = ProcessInfo.processInfo.environment["ORDERSTREAM_TESTDB_SCRIPT"] { return override }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/testdb.sh").path
    }

    /// Runs `body(i)` for i in 0..<count, each on its own `Thread`, and waits for all
    /// without blocking the caller's (cooperative) thread.
    static func onThreads<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) async -> [T] {
        let results = Mutex<[Int: T]>([:])
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let group = DispatchGroup()
            for index in 0..<count {
                group.enter()
                let thread = Thread {
                    let value = body(index)
                    results.withLock { $0[index] = value }
                    group.leave()
                }
                thread.start()
            }
            group.notify(queue: .global()) { continuation.resume() }
        }
        return results.withLock { values in (0..<count).map { values[$0]! } }
    }
}

/// Every test that talks to the server lives in a suite nested in this one, so they all run
/// one after another (a server restart must not hit a concurrently running test).
@Suite(.serialized)
struct ServerTests {}
