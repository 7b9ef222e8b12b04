import Foundation

/// PostgreSQL servers and poolers of one test, apart from the shared test server: a primary
/// with its streaming replica (`scripts/testdb.sh start`, `start-replica`, `promote`,
/// `stop-immediate`, `start-on-new-port`) and PgBouncer (`scripts/pgbouncer.sh`), all under one
/// folder that `stopAll` stops and removes.
public final class ThrowawayServers: Sendable {
    public let folder: String

    public init(_ name: String) throws {
        let base = ProcessInfo.processInfo.environment["ORDERSTREAM_TEST_TMP"] ?? NSTemporaryDirectory()
        folder = base + "/\(name)-\(UUID().uuidString.prefix(8))"
        // The servers run as the `postgres` user when the tests run as root: it must reach in.
        try FileManager.default.createDirectory(
            atPath: folder, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o755])
    }

    public func path(_ name: String) -> String { folder + "/" + name }

    /// Runs a script of `scripts/` and returns its `export NAME=value` lines as a dictionary.
    @discardableResult
    public func script(_ script: String, _ arguments: [String]) throws -> [String: String] {
        let started = ContinuousClock.now
        let output = try ProcessRunner.runToEnd(
            "/bin/bash", [TestEnvironment.repositoryRoot.appendingPathComponent("scripts/" + script).path] + arguments)
        guard output.status == 0 else {
            throw TestEnvironment.Missing(
                description: "\(script) \(arguments.joined(separator: " ")) failed (\(output.status)): \(output.stderr)"
            )
        }
        print("\(script) \(arguments.first ?? ""): \(ContinuousClock.now - started)")
        if !output.stderr.isEmpty { print(output.stderr.trimmingCharacters(in: .whitespacesAndNewlines)) }
        var exports: [String: String] = [:]
        for line in output.stdout.split(separator: "\n") where line.hasPrefix("export ") {
            let pair = line.dropFirst("export ".count).split(separator: "=", maxSplits: 1)
            if pair.count == 2 { exports[String(pair[0])] = String(pair[1]) }
        }
        return exports
    }

    /// `testdb.sh start`: a new cluster in `name`; its URL (role orderstream, database orderstream).
    public func startPrimary(_ name: String = "primary") throws -> String {
        let exports = try script("testdb.sh", ["start", path(name)])
        guard let url = exports["ORDERSTREAM_TEST_DATABASE_URL"] else {
            throw TestEnvironment.Missing(description: "testdb.sh start printed no URL")
        }
        return url
    }

    /// `testdb.sh start-replica`: a streaming replica of `primary` in `name`; its URL.
    public func startReplica(of primary: String = "primary", _ name: String = "replica") throws -> String {
        let exports = try script("testdb.sh", ["start-replica", path(primary), path(name)])
        guard let url = exports["ORDERSTREAM_TEST_REPLICA_URL"] else {
            throw TestEnvironment.Missing(description: "testdb.sh start-replica printed no URL")
        }
        return url
    }

    /// `testdb.sh start-on-new-port`: the stopped cluster in `name` on a new port (a crashed one
    /// recovers first); its URL. Throws when the cluster is running.
    public func startOnNewPort(_ name: String) throws -> String {
        let exports = try script("testdb.sh", ["start-on-new-port", path(name)])
        guard let url = exports["ORDERSTREAM_TEST_DATABASE_URL"] else {
            throw TestEnvironment.Missing(description: "testdb.sh start-on-new-port printed no URL")
        }
        return url
    }

    /// `pgbouncer.sh start` in `mode` in front of `upstreamPort`; its URL.
    public func startPooler(_ name: String, mode: String, upstreamPort: Int) throws -> String {
        let exports = try script(
            "pgbouncer.sh", ["start", path(name), "--mode", mode, "--upstream-port", String(upstreamPort)])
        guard let url = exports["ORDERSTREAM_TEST_POOLER_URL"] else {
            throw TestEnvironment.Missing(description: "pgbouncer.sh start printed no URL")
        }
        return url
    }

    /// Stops every server and pooler under the folder and removes it (cleanup; never throws).
    public func stopAll() {
        let items = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for item in items {
            if FileManager.default.fileExists(atPath: path(item) + "/pgbouncer.ini") {
                _ = try? script("pgbouncer.sh", ["stop", path(item)])
            }
        }
        for item in items where FileManager.default.fileExists(atPath: path(item) + "/PG_VERSION") {
            _ = try? script("testdb.sh", ["stop-immediate", path(item)])
        }
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// The port of a `postgresql://user:password@host:port/db` URL.
    public static func port(of url: String) throws -> Int {
        guard let port = URLComponents(string: url)?.port else {
            throw TestEnvironment.Missing(description: "no port in the test URL")
        }
        return port
    }
}
