import Foundation
import OrderStreamTestSupport
import PostgreSQL
import Testing

/// The PostgreSQL layer's view of the real test server (`TestEnvironment`, in
/// OrderStreamTestSupport, reads the environment; tests fail, never skip, without it).
enum TestDatabase {
    static func url() throws -> String { try TestEnvironment.serverURL() }

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

    /// Creates a schema, hands `body` a configuration whose sessions use it as search_path,
    /// and drops it afterwards.
    static func withSchema<T>(_ prefix: String, _ body: (PGConnectionConfiguration) throws -> T) throws -> T {
        let schema = TestEnvironment.uniqueName(prefix)
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
        return TestEnvironment.repositoryRoot.appendingPathComponent("scripts/testdb.sh").path
    }
}

/// Every test that talks to the server lives in a suite nested in this one, so they all run
/// one after another (a server restart must not hit a concurrently running test).
@Suite(.serialized)
struct ServerTests {}
