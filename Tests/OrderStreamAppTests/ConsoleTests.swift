import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import OrderStreamDomain
import OrderStreamTestSupport
import OrderStreamWorker
import Testing

@testable import OrderStreamApp

/// The console's HTTP surface without a browser: the token, strict bodies, security headers and
/// JSON errors (no database needed), then every view's JSON twin and every action against a real
/// PostgreSQL, the embedded broker and worker processes of both colors.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct ConsoleTests {
    static let token = "a-console-token-of-32-characters"

    static func configuration(
        database: String = "postgresql://nobody@127.0.0.1:1/none", brokers: String = "127.0.0.1:1"
    )
        -> OrderStreamConfiguration
    {
        var configuration = OrderStreamConfiguration()
        configuration.databaseURL = database
        configuration.kafkaBrokers = brokers
        return configuration
    }

    static func app(
        _ configuration: OrderStreamConfiguration, token: String? = ConsoleTests.token
    ) throws -> some ApplicationProtocol {
        let logger = TestEnvironment.logger("console")
        let reads = ConsoleReads(
            configuration: configuration,
            queries: try QueryService(
                databaseURL: configuration.databaseURL, applicationName: "console-test", logger: logger),
            scans: DeadLetterScans(configuration: configuration, logger: logger), logger: logger)
        let actions = ConsoleActions(configuration: configuration, logger: logger, cutoverTimeout: .seconds(20))
        let gate = try token.map { try ConsoleToken($0, source: "test") }
        return Application(router: ConsoleRoutes.router(reads: reads, actions: actions, token: gate, logger: logger))
    }

    static func bearer(_ token: String = ConsoleTests.token, actor: String? = "tester") -> HTTPFields {
        var fields: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
        if let actor { fields[ConsoleActionGate.actorHeader] = actor }
        return fields
    }

    /// The body as JSON; nil (and so a failed expectation) when it is not JSON.
    static func json(_ body: ByteBuffer) -> JSONValue? {
        try? JSONParser.parse(Array(body.readableBytesView))
    }

    // MARK: without a database

    @Test func theTokenIsStrictAndComparedWhole() throws {
        #expect(throws: ConfigurationError.self) { try ConsoleToken("short", source: "t") }
        #expect(throws: ConfigurationError.self) { try ConsoleToken("has a space inside it", source: "t") }
        let token = try ConsoleToken("  \(Self.token)\n", source: "t")
        #expect(token.check(authorization: "Bearer \(Self.token)") == .accepted)
        #expect(token.check(authorization: "bearer \(Self.token)") == .accepted)
        #expect(token.check(authorization: nil) == .missing)
        #expect(token.check(authorization: "") == .missing)
        #expect(token.check(authorization: "Basic abc") == .malformed)
        #expect(token.check(authorization: "Bearer ") == .malformed)
        #expect(token.check(authorization: "Bearer \(Self.token)x") == .wrong)
        #expect(token.check(authorization: "Bearer \(Self.token.dropLast())") == .wrong)
        #expect(ConsoleToken.equalInConstantTime(Array("abc".utf8), Array("abc".utf8)))
        #expect(!ConsoleToken.equalInConstantTime(Array("abc".utf8), Array("abd".utf8)))
        #expect(!ConsoleToken.equalInConstantTime([], Array("a".utf8)))
        let file = try DeadLetterTools.file("token", "\(Self.token)\n")
        #expect(
            try ConsoleToken.load(path: file, source: "t").check(authorization: "Bearer \(Self.token)") == .accepted)
        #expect(throws: ConfigurationError.self) { try ConsoleToken.load(path: "/nonexistent/token", source: "t") }
    }

    @Test func theTokenComesFromAFileNeverFromTheEnvironment() throws {
        let file = try DeadLetterTools.file("token-env", Self.token + "\n")
        let loaded = try ConfigurationLoader(environment: ["ORDERSTREAM_CONSOLE_TOKEN_FILE": file]).load(
            configPath: nil)
        #expect(loaded.consoleToken == Self.token)
        #expect(!loaded.redactedDescription.contains(Self.token))
        #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader(environment: ["ORDERSTREAM_CONSOLE_TOKEN": Self.token]).load(configPath: nil)
        }
    }

    @Test func requestBodiesAreReadStrictly() throws {
        let allowed: Set<String> = ["to", "dry_run", "limit", "letters"]
        let empty = try ConsoleRequestBody([], allowed: allowed)
        #expect(try empty.string("to") == nil)
        let body = try ConsoleRequestBody(
            Array(#"{"to":"green","dry_run":true,"limit":5,"letters":["a"]}"#.utf8), allowed: allowed)
        #expect(try body.string("to") == "green")
        #expect(try body.bool("dry_run") == true)
        #expect(try body.integer("limit", in: 1...10) == 5)
        #expect(try body.strings("letters") == ["a"])
        func refusal(_ text: String) -> ConsoleError? {
            do {
                let parsed = try ConsoleRequestBody(Array(text.utf8), allowed: allowed)
                _ = try parsed.string("to")
                _ = try parsed.bool("dry_run")
                _ = try parsed.integer("limit", in: 1...10)
                _ = try parsed.strings("letters")
                return nil
            } catch {
                return error
            }
        }
        #expect(refusal("{")?.status == .badRequest)
        #expect(refusal("[1]")?.message.contains("must be a JSON object") == true)
        #expect(refusal(#"{"dryrun":true}"#)?.message.contains("unknown field dryrun") == true)
        #expect(refusal(#"{"to":1}"#)?.message == "to must be a string, not integer")
        #expect(refusal(#"{"dry_run":"yes"}"#)?.status == .badRequest)
        #expect(refusal(#"{"limit":11}"#)?.status == .badRequest)
        #expect(refusal(#"{"letters":[1]}"#)?.status == .badRequest)
        #expect(refusal(#"{"letters":"a"}"#)?.status == .badRequest)
        #expect(refusal(#"{"to":null}"#) == nil)
        #expect(
            refusal(String(repeating: " ", count: 10) + "{\"to\":\"" + String(repeating: "x", count: 70_000) + "\"}")?
                .status
                == .contentTooLarge)
    }

    @Test func everyAnswerCarriesTheSecurityHeadersAndErrorsAreJSON() async throws {
        try await Self.app(Self.configuration()).test(.router) { client in
            for path in [
                "/", "/assets/console.js", "/assets/console.css", "/assets/favicon.svg", "/health/live",
                "/api/nothing-here",
            ] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true, "\(path)")
                    #expect(response.headers[.contentSecurityPolicy]?.contains("'unsafe-inline'") == false, "\(path)")
                    #expect(response.headers[.xContentTypeOptions] == "nosniff", "\(path)")
                    #expect(
                        response.headers[ConsoleSecurityMiddleware<BasicRequestContext>.xFrameOptions] == "DENY",
                        "\(path)")
                }
            }
            try await client.execute(uri: "/", method: .get) { response in
                let page = String(buffer: response.body)
                #expect(page.contains(#"<script src="/assets/console.js" defer></script>"#))
                // No inline script or style anywhere in the page: the CSP would refuse it.
                #expect(!page.contains("<script>") && !page.contains("style=") && !page.contains("onclick"))
            }
            try await client.execute(uri: "/api/nothing-here", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(Self.json(response.body)?.objectValue?["error"]?.stringValue == "no route /api/nothing-here")
                #expect(Self.json(response.body)?.objectValue?["error"] != nil)
            }
            try await client.execute(uri: "/api/kpis", method: .delete) { response in
                #expect(response.headers[.contentType] == "application/json")
                #expect(Self.json(response.body)?.objectValue?["error"] != nil)
            }
        }
    }

    @Test func badParametersAreFourHundreds() async throws {
        try await Self.app(Self.configuration()).test(.router) { client in
            for uri in [
                "/api/kpis?from=2026-12-01T10:00:00Z", "/api/kpis?from=x&to=y", "/api/kpis/minutes",
                "/api/kpis/minutes?from=2026-12-01T10:00:30Z&to=2026-12-01T11:00:00Z",
                "/api/kpis/minutes?from=2026-12-01T00:00:00Z&to=2026-12-03T00:00:00Z",
                "/api/dead-letters?limit=0", "/api/dead-letters?limit=abc", "/api/dead-letters?reason=nope",
                "/api/dead-letters?topic=nope", "/api/dead-letters?since=yesterday",
                "/api/dead-letters/stats?until=2026-13-01T00:00:00Z", "/api/dead-letters/orders/0/1",
                "/api/dead-letters/orders.dlq/x/1", "/api/replays?limit=-1", "/api/operations?limit=1001",
                "/api/orders/%ZZ",
            ] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .badRequest, "\(uri): \(String(buffer: response.body))")
                    #expect(Self.json(response.body)?.objectValue?["error"]?.stringValue?.isEmpty == false, "\(uri)")
                }
            }
        }
    }

    @Test func actionsNeedTheTokenAndAConsoleWithoutOneRefusesThemAll() async throws {
        try await Self.app(Self.configuration()).test(.router) { client in
            let body = ByteBuffer(string: #"{"topic":"orders"}"#)
            try await client.execute(uri: "/api/partitions/pause", method: .post, body: body) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            }
            for header in ["Bearer wrong-token-wrong-token-wrong", "Basic dXNlcjpwYXNz", "Bearer"] {
                try await client.execute(
                    uri: "/api/deployments/abort", method: .post, headers: [.authorization: header], body: body
                ) {
                    #expect($0.status == .unauthorized, "\(header)")
                }
            }
            // With the token, bad bodies and actors are 400s, before anything is touched.
            let bad: [(String, String)] = [
                ("/api/partitions/pause", "{"), ("/api/partitions/pause", #"{"topic":"nope"}"#),
                ("/api/partitions/pause", "{}"),
                ("/api/partitions/pause", #"{"topic":"orders","partition":-1}"#), ("/api/deployments/cutover", "{}"),
                ("/api/deployments/cutover", #"{"to":"red"}"#), ("/api/deployments/canary", #"{"to":"green"}"#),
                ("/api/deployments/canary", #"{"to":"green","share":"0%"}"#),
                ("/api/deployments/canary", #"{"to":"green","share":"25%","partitions":"orders:0"}"#),
                ("/api/deployments/canary", #"{"to":"green","partitions":"orders:x"}"#),
                ("/api/deployments/abort", #"{"to":"blue"}"#),
                ("/api/deployments/cutover", #"{"to":"green","share":"5%"}"#),
                ("/api/dead-letters/replay", "{}"), ("/api/dead-letters/replay", #"{"letters":["orders:0:1"]}"#),
                ("/api/dead-letters/replay", #"{"letters":["orders.dlq:0:1","orders.dlq:0:1"]}"#),
                ("/api/dead-letters/replay", #"{"letters":["orders.dlq:0:1"],"reason":"malformed"}"#),
                ("/api/dead-letters/replay", #"{"reason":"malformed","max_replays":0}"#),
            ]
            for (uri, text) in bad {
                try await client.execute(
                    uri: uri, method: .post, headers: Self.bearer(), body: ByteBuffer(string: text)
                ) { response in
                    #expect(response.status == .badRequest, "\(uri) \(text): \(String(buffer: response.body))")
                }
            }
            try await client.execute(
                uri: "/api/partitions/pause", method: .post,
                headers: Self.bearer(actor: String(repeating: "a", count: 201)), body: body
            ) {
                #expect($0.status == .badRequest)
            }
            // A valid JSON body that does not say it is JSON (a form, text/plain) is refused.
            for type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"] {
                var headers = Self.bearer()
                headers[.contentType] = type
                try await client.execute(uri: "/api/partitions/pause", method: .post, headers: headers, body: body) {
                    #expect($0.status == .unsupportedMediaType, "\(type)")
                }
            }
        }
        try await Self.app(Self.configuration(), token: nil).test(.router) { client in
            try await client.execute(
                uri: "/api/deployments/abort", method: .post, headers: Self.bearer(), body: ByteBuffer(string: "{}")
            ) {
                #expect($0.status == .forbidden)
            }
        }
    }

    @Test func anUnreachableDatabaseOrBrokerIsA503NeverACrash() async throws {
        try await Self.app(Self.configuration()).test(.router) { client in
            for uri in ["/api/kpis", "/api/deployments", "/api/operations", "/api/replays", "/api/orders/ord-1"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .serviceUnavailable, "\(uri): \(String(buffer: response.body))")
                }
            }
        }
    }

    // MARK: against PostgreSQL, the broker and workers

    @Test func everyViewAndActionAgainstARunningGroup() async throws {
        let cluster = try TestCluster(partitions: 2)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        let blue = try WorkerProcess.start(
            cluster: cluster, databaseURL: database, color: "blue", instanceId: "console-blue")
        defer { blue.runner.kill() }
        let green = try WorkerProcess.start(
            cluster: cluster, databaseURL: database, color: "green", instanceId: "console-green")
        defer { green.runner.kill() }
        try await blue.waitReady()
        let stream = ExpectedStream(
            orders: 120, duplicates: 0.05, invalid: 0.05, seed: 77,
            start: RFC3339.formatMillis(
                Int64(Date().timeIntervalSince1970 / 60) * 60_000_000))
        #expect(try stream.publish(to: cluster).status == 0)
        let kpis = try await blue.waitAccounted(messages: stream.messages)
        let configuration = Self.configuration(database: database, brokers: cluster.bootstrap)

        try await Self.app(configuration).test(.router) { client in
            // KPIs: the worker's body, and a series whose minutes add up to the window's totals.
            try await client.execute(uri: "/api/kpis", method: .get) { response in
                #expect(response.status == .ok)
                #expect(Self.json(response.body) == (try? JSONParser.parse(kpis.body)))
            }
            let from = stream.start
            let to = RFC3339.formatMillis(RFC3339.parseMicros(from)! + 60 * 60_000_000)
            let window = try await blue.kpis(query: "?from=\(from)&to=\(to)")
            try await client.execute(uri: "/api/kpis/minutes?from=\(from)&to=\(to)", method: .get) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                let minutes = Self.json(response.body)?.objectValue?["minutes"]?.arrayValue ?? []
                #expect(minutes.count == 60)
                let created = minutes.compactMap { $0.objectValue?["orders_created"]?.integerValue }.reduce(0, +)
                #expect(created == window.int("orders_created"))
                let events = minutes.compactMap { $0.objectValue?["events_applied"]?.integerValue }.reduce(0, +)
                #expect(events == window.int("events_applied"))
            }
            // Partitions: status's document.
            try await client.execute(uri: "/api/partitions", method: .get) { response in
                let status = Self.json(response.body)?.objectValue
                #expect(status?["partitions"]?.arrayValue?.count == 4)
                #expect(status?["live_workers"]?.arrayValue?.count == 2)
            }
            // Dead letters: list, stats, one letter, and an order.
            var first = ""
            try await client.execute(uri: "/api/dead-letters/stats", method: .get) { response in
                #expect(Self.json(response.body)?.objectValue?["total"]?.integerValue == Int64(stream.invalid.count))
            }
            try await client.execute(uri: "/api/dead-letters?limit=2", method: .get) { response in
                let answer = Self.json(response.body)?.objectValue
                #expect(answer?["matched"]?.integerValue == Int64(stream.invalid.count))
                let letters = answer?["letters"]?.arrayValue ?? []
                #expect(letters.count == 2)
                first = letters.first?.objectValue?["letter"]?.stringValue ?? ""
            }
            let parts = first.split(separator: ":")
            try await client.execute(uri: "/api/dead-letters/\(parts[0])/\(parts[1])/\(parts[2])", method: .get) {
                response in
                let detail = Self.json(response.body)?.objectValue
                #expect(detail?["letter"]?.objectValue?["letter"]?.stringValue == first)
                #expect(
                    detail?["headers"]?.arrayValue?.contains { $0.objectValue?["key"]?.stringValue == "reason" } == true
                )
            }
            try await client.execute(uri: "/api/dead-letters/\(parts[0])/\(parts[1])/999999", method: .get) {
                #expect($0.status == .notFound)
            }
            let order = stream.reference.orderIds.sorted().first!
            try await client.execute(uri: "/api/orders/\(order)", method: .get) { response in
                let answer = Self.json(response.body)?.objectValue
                #expect(answer?["order"]?.objectValue?["order_id"]?.stringValue == order)
                #expect(answer?["timeline"]?.objectValue?["events"]?.arrayValue?.isEmpty == false)
            }
            try await client.execute(uri: "/api/orders/never-seen", method: .get) { #expect($0.status == .notFound) }

            // Replays: a dry run publishes nothing; the invalid letters are refused (409) and audited.
            try await client.execute(
                uri: "/api/dead-letters/replay", method: .post, headers: Self.bearer(),
                body: ByteBuffer(string: #"{"letters":["\#(first)"],"dry_run":true}"#)
            ) { response in
                #expect(response.status == .ok)
                #expect(Self.json(response.body)?.objectValue?["refusals"]?.arrayValue?.count == 1)
            }
            try await client.execute(
                uri: "/api/dead-letters/replay", method: .post, headers: Self.bearer(),
                body: ByteBuffer(string: #"{"letters":["\#(first)"]}"#)
            ) { response in
                #expect(response.status == .conflict, "\(String(buffer: response.body))")
            }
            try await client.execute(
                uri: "/api/dead-letters/replay", method: .post, headers: Self.bearer(),
                body: ByteBuffer(string: #"{"letters":["orders.dlq:0:999999"]}"#)
            ) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/api/replays", method: .get) { #expect(String(buffer: $0.body) == "[]") }

            // Pause and resume, fenced and audited under the actor.
            try await client.execute(
                uri: "/api/partitions/pause", method: .post, headers: Self.bearer(),
                body: ByteBuffer(string: #"{"topic":"orders","partition":1}"#)
            ) { response in
                let answer = Self.json(response.body)?.objectValue
                #expect(answer?["changed"]?.arrayValue == [.string("orders[1]")], "\(String(buffer: response.body))")
            }
            try await client.execute(
                uri: "/api/partitions/pause", method: .post, headers: Self.bearer(),
                body: ByteBuffer(string: #"{"topic":"orders","partition":7}"#)
            ) { #expect($0.status == .conflict) }
            try await client.execute(
                uri: "/api/partitions/resume", method: .post, headers: Self.bearer(),
                body: ByteBuffer(string: #"{"topic":"orders"}"#)
            ) { response in
                #expect(Self.json(response.body)?.objectValue?["changed"]?.arrayValue == [.string("orders[1]")])
            }

            // A rollback before any cutover is refused; a canary, a refused rollback, an abort,
            // then a cutover and its rollback.
            try await client.execute(
                uri: "/api/deployments/rollback", method: .post, headers: Self.bearer(), body: ByteBuffer(string: "{}")
            ) {
                #expect($0.status == .conflict)
            }
            try await green.waitReady()
            try await client.execute(
                uri: "/api/deployments/canary", method: .post, headers: Self.bearer(),
                body: ByteBuffer(string: #"{"to":"green","partitions":"orders:0","restore_point":false}"#)
            ) { response in
                let answer = Self.json(response.body)?.objectValue
                #expect(answer?["kind"]?.stringValue == "canary", "\(String(buffer: response.body))")
                #expect(answer?["moved"]?.arrayValue == [.string("orders[0]")])
            }
            try await client.execute(
                uri: "/api/deployments/rollback", method: .post, headers: Self.bearer(), body: ByteBuffer(string: "{}")
            ) {
                #expect($0.status == .conflict)
            }
            try await client.execute(
                uri: "/api/deployments/abort", method: .post, headers: Self.bearer(), body: ByteBuffer(string: "{}")
            ) {
                #expect(Self.json($0.body)?.objectValue?["kind"]?.stringValue == "abort")
            }
            try await client.execute(
                uri: "/api/deployments/cutover", method: .post, headers: Self.bearer(),
                body: ByteBuffer(string: #"{"to":"green"}"#)
            ) { response in
                let answer = Self.json(response.body)?.objectValue
                #expect(answer?["to_color"]?.stringValue == "green", "\(String(buffer: response.body))")
                #expect(answer?["verified"] == .bool(true))
            }
            try await client.execute(
                uri: "/api/deployments/rollback", method: .post, headers: Self.bearer(), body: ByteBuffer(string: "{}")
            ) {
                #expect(
                    Self.json($0.body)?.objectValue?["to_color"]?.stringValue == "blue", "\(String(buffer: $0.body))")
            }
            try await client.execute(uri: "/api/deployments", method: .get) { response in
                let answer = Self.json(response.body)?.objectValue
                #expect(answer?["active_color"]?.stringValue == "blue")
                let kinds = answer?["cutovers"]?.arrayValue?.compactMap { $0.objectValue?["kind"]?.stringValue }
                #expect(kinds == ["cutover", "cutover", "abort", "canary"])
                // The canary's without a named restore point (restore_point false) still records its WAL position.
                #expect(answer?["restore_points"]?.arrayValue?.count == 4)
            }
            try await client.execute(uri: "/api/operations?limit=10", method: .get) { response in
                let entries = Self.json(response.body)?.arrayValue ?? []
                let commands = entries.compactMap { $0.objectValue?["command"]?.stringValue }
                // Refusals before anything changed (the invalid replay, the rollbacks) are not audited.
                #expect(
                    commands == ["cutover rollback", "cutover", "cutover abort", "cutover canary", "resume", "pause"])
                #expect(entries.allSatisfy { $0.objectValue?["actor"]?.stringValue == "console:tester" })
            }
        }
    }
}
