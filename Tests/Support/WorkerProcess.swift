import Foundation
import OrderStreamDomain

/// An `orderstream worker` process against a test cluster and database, with its HTTP port.
public final class WorkerProcess: Sendable {
    public let runner: ProcessRunner
    public let port: Int
    public let instanceId: String

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts a worker; `extra` adds or overrides environment variables.
    public static func start(
        cluster: TestCluster, databaseURL: String, color: String = "blue",
        instanceId: String = "w-\(UUID().uuidString.prefix(6))",
        extra: [String: String] = [:], arguments: [String] = []
    ) throws -> WorkerProcess {
        let port = TestEnvironment.freePort()
        var environment = cluster.workerEnvironment
        environment["ORDERSTREAM_DATABASE_URL"] = databaseURL
        environment["ORDERSTREAM_HTTP_HOST"] = "127.0.0.1"
        for (key, value) in extra { environment[key] = value.isEmpty ? nil : value }  // "" removes
        let runner = try ProcessRunner.start(
            "worker-\(instanceId)",
            ["worker", "--color", color, "--instance-id", instanceId, "--http-port", String(port)] + arguments,
            environment: environment)
        return WorkerProcess(runner: runner, port: port, instanceId: instanceId)
    }

    private init(runner: ProcessRunner, port: Int, instanceId: String) {
        self.runner = runner
        self.port = port
        self.instanceId = instanceId
    }

    /// Waits until `/health/ready` answers 200 (the worker joined its group).
    public func waitReady(timeout: Duration = .seconds(30)) async throws {
        let ready = await TestEnvironment.eventually(timeout: timeout) {
            await HTTPProbe.tryGet(baseURL + "/health/ready")?.status == 200
        }
        guard ready else {
            throw TestEnvironment.Missing(
                description: "worker \(instanceId) not ready in time; its log:\n\(runner.output.suffix(3_000))")
        }
    }

    /// `GET /kpis` (optionally a window) as a parsed snapshot and the raw body.
    public func kpis(query: String = "") async throws -> KPIJSON {
        let answer = try await HTTPProbe.get(baseURL + "/kpis" + query)
        return try KPIJSON(status: answer.status, body: answer.body)
    }

    /// Waits until `events_applied + events_duplicate + events_rejected` reaches `messages`
    /// (every message accounted for), or `timeout`.
    public func waitAccounted(messages: Int64, timeout: Duration = .seconds(120)) async throws -> KPIJSON {
        var last: KPIJSON?
        _ = await TestEnvironment.eventually(timeout: timeout, every: .milliseconds(500)) {
            guard let kpis = try? await kpis() else { return false }
            last = kpis
            guard let accounted = kpis.accountedMessages else { return false }
            return accounted >= messages
        }
        guard let last else { throw TestEnvironment.Missing(description: "no /kpis answer from \(instanceId)") }
        return last
    }
}

/// The KPI JSON as the HTTP API returned it, with the numbers pulled out for comparisons.
public struct KPIJSON: Sendable, Equatable {
    public let status: Int
    public let body: String
    public let fields: [String: JSONValue]

    public init(status: Int, body: String) throws {
        self.status = status
        self.body = body
        self.fields = (try? JSONParser.parse(body).objectValue) ?? [:]
    }

    /// The integer field `name`, or nil when the answer has no such integer (a failed read
    /// must never pass for a number).
    public func int(_ name: String) -> Int64? { fields[name]?.integerValue }

    /// Messages the worker has accounted for; nil unless all three counts are present.
    public var accountedMessages: Int64? {
        guard let applied = int("events_applied"), let duplicate = int("events_duplicate"),
            let rejected = int("events_rejected")
        else { return nil }
        return applied + duplicate + rejected
    }
}
