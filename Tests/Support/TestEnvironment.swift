import Foundation
import Logging
import OrderStreamWorker
import PostgreSQL

/// The real services the integration tests use, named by the test command (scripts/test.sh):
/// a throwaway PostgreSQL server. Tests fail, never skip, when it is missing.
public enum TestEnvironment {
    public struct Missing: Error, CustomStringConvertible {
        public let description: String
    }

    public static let howToRun = "run the tests with `bash scripts/test.sh` (it starts a throwaway PostgreSQL)"

    public static func variable(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw Missing(description: "\(name) is not set; \(howToRun)")
        }
        return value
    }

    /// The admin URL of the throwaway server.
    public static func serverURL() throws -> String { try variable("ORDERSTREAM_TEST_DATABASE_URL") }

    /// The data folder of the throwaway server (for restarts).
    public static func pgdata() throws -> String { try variable("ORDERSTREAM_TEST_PGDATA") }

    /// The repository root (scripts and fixtures live there): two folders up from this file
    /// (`Tests/Support/`), so nothing outside the repository is ever read.
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The contract's examples and table-test cases (`Tests/Fixtures/contract/`).
    public static let contractFixtures = repositoryRoot.appendingPathComponent("Tests/Fixtures/contract")

    /// A quiet logger for the code under test.
    public static func logger(_ label: String = "test") -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = .warning
        return logger
    }

    /// A new, empty database on the test server with the schema migrated; its URL.
    public static func freshDatabase(migrated: Bool = true) throws -> String {
        let server = try serverURL()
        let name = "os_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        let admin = try PGConnection.connect(try PGConnectionConfiguration(server), logger: logger())
        defer { admin.close() }
        _ = try admin.execute("CREATE DATABASE \(name)")
        let url = try replacingDatabase(in: server, with: name)
        if migrated {
            let connection = try PGConnection.connect(try PGConnectionConfiguration(url), logger: logger())
            defer { connection.close() }
            _ = try SchemaMigrations.apply(on: connection)
        }
        return url
    }

    static func replacingDatabase(in url: String, with name: String) throws -> String {
        guard var components = URLComponents(string: url) else { throw Missing(description: "bad test URL") }
        components.path = "/" + name
        guard let result = components.string else { throw Missing(description: "bad test URL") }
        return result
    }

    /// Runs one statement on `url` in a session of its own (blocking; fine in tests).
    public static func query(_ url: String, _ sql: String, _ params: [PGValue?] = []) throws -> PGResult {
        let connection = try PGConnection.connect(try PGConnectionConfiguration(url), logger: logger())
        defer { connection.close() }
        return try connection.query(sql, params)
    }

    /// Restarts the throwaway server (fast shutdown, same port).
    public static func restartPostgreSQL() throws {
        let output = try ProcessRunner.runToEnd(
            "/bin/bash", [repositoryRoot.appendingPathComponent("scripts/testdb.sh").path, "restart", try pgdata()])
        guard output.status == 0 else {
            throw Missing(description: "testdb.sh restart failed: \(output.stderr)")
        }
    }

    /// Stops the throwaway server; `startPostgreSQL` brings it back on the same port.
    public static func stopPostgreSQL() throws {
        _ = try ProcessRunner.runToEnd(
            "/bin/bash", [repositoryRoot.appendingPathComponent("scripts/testdb.sh").path, "stop", try pgdata()])
    }

    public static func startPostgreSQL() throws {
        let output = try ProcessRunner.runToEnd(
            "/bin/bash", [repositoryRoot.appendingPathComponent("scripts/testdb.sh").path, "start", try pgdata()])
        guard output.status == 0 else {
            throw Missing(description: "testdb.sh start failed: \(output.stderr)")
        }
    }

    /// A TCP port nobody listens on right now.
    public static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Polls `condition` until it holds or `timeout` passes; returns whether it held.
    public static func eventually(
        timeout: Duration, every interval: Duration = .milliseconds(200), _ condition: () async throws -> Bool
    ) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: interval)
        }
        return try await condition()
    }
}
