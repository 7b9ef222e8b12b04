import Foundation
import Kafka
import OrderStreamApp
import OrderStreamCommon
import OrderStreamDomain
import OrderStreamTestSupport
import OrderStreamWorker
import Testing

/// A loadgen stream with publisher retries and invalid messages through one real worker
/// process, checked against an independent computation from the generated events.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct EndToEndTests {
    @Test func twentyThousandOrdersThroughOneWorkerAreExact() async throws {
        let cluster = try TestCluster(partitions: 6)
        defer { cluster.close() }
        let database = try TestEnvironment.freshDatabase()
        let worker = try WorkerProcess.start(cluster: cluster, databaseURL: database)
        defer { worker.runner.kill() }
        try await worker.waitReady()

        let expected = ExpectedStream(orders: 20_000, duplicates: 0.05, invalid: 0.01, seed: 42)
        let started = ContinuousClock.now
        let published = try expected.publish(to: cluster)
        #expect(published.status == 0, "loadgen failed: \(published.stderr)")
        let kpis = try await worker.waitAccounted(messages: expected.messages)
        let elapsed = ContinuousClock.now - started
        let seconds = elapsed.seconds
        print(
            "end-to-end: \(expected.messages) messages published and applied in \(String(format: "%.2f", seconds)) s "
                + "= \(Int(Double(expected.messages) / seconds)) messages/s (debug build, one worker, loadgen running at the same time)"
        )

        // The totals, byte for byte.
        #expect(kpis.body == expected.totalsJSON)
        #expect(kpis.int("events_rejected") == Int64(expected.invalid.count))

        // Windows on minute boundaries.
        for (from, to) in [
            ("2026-11-26T12:00:00Z", "2026-11-26T12:05:00Z"), ("2026-11-26T12:05:00Z", "2026-11-26T13:00:00Z"),
            ("2026-11-26T12:17:00Z", "2026-11-26T12:18:00Z"), ("2026-11-26T11:00:00Z", "2026-11-27T00:00:00Z"),
        ] {
            let window = try await worker.kpis(query: "?from=\(from)&to=\(to)")
            let reference = expected.reference.kpis(
                fromMicros: RFC3339.parseMicros(from)!, toMicros: RFC3339.parseMicros(to)!)
            #expect(window.status == 200)
            #expect(window.body == reference.json(includeTotalsOnly: false), "window \(from) - \(to)")
        }
        for bad in [
            "?from=2026-11-26T12:00:30Z&to=2026-11-26T13:00:00Z", "?from=2026-11-26T12:00:00Z",
            "?from=yesterday&to=today", "?from=2026-11-26T13:00:00Z&to=2026-11-26T12:00:00Z",
        ] {
            let answer = try await worker.kpis(query: bad)
            #expect(answer.status == 400, "\(bad)")
            #expect(answer.fields["error"]?.stringValue?.isEmpty == false, "\(bad): \(answer.body)")
        }

        // Sampled orders.
        let ids = expected.reference.orderIds
        for id in stride(from: 0, to: ids.count, by: 211).map({ ids[$0] }) {
            let (facts, _) = try #require(expected.reference.order(id))
            let answer = try await HTTPProbe.get(worker.baseURL + "/orders/\(id)")
            #expect(answer.status == 200)
            #expect(answer.body == OrderView(orderId: id, facts: facts).json)
        }
        #expect(try await HTTPProbe.get(worker.baseURL + "/orders/no-such-order").status == 404)

        // The dead-letter topics hold exactly the invalid messages, with their reasons.
        let invalidOrders = expected.invalid.filter { $0.topic == "orders" }
        let invalidPayments = expected.invalid.filter { $0.topic == "payments" }
        for (topic, wanted) in [("orders", invalidOrders), ("payments", invalidPayments)] {
            let letters = try cluster.readAll(topic + ".dlq", expected: wanted.count)
            #expect(letters.count == wanted.count, "\(topic).dlq")
            var remaining = wanted.map { DeadLetterKey(key: $0.key, value: $0.value, reason: $0.reason) }
            for letter in letters {
                let headers = Dictionary(
                    letter.headers.map { ($0.key, String(decoding: $0.value ?? [], as: UTF8.self)) }
                ) { a, _ in a }
                #expect(headers["source_topic"] == topic)
                #expect(Int32(headers["source_partition"] ?? "") != nil)
                #expect(Int64(headers["source_offset"] ?? "") != nil)
                #expect(headers["detail"]?.isEmpty == false)
                let key = DeadLetterKey(key: letter.key, value: letter.value, reason: headers["reason"] ?? "")
                if let index = remaining.firstIndex(of: key) {
                    remaining.remove(at: index)
                } else {
                    Issue.record("unexpected dead letter in \(topic).dlq: reason \(key.reason)")
                }
            }
            #expect(remaining.isEmpty, "\(remaining.count) invalid \(topic) messages missing from \(topic).dlq")
        }
        // Prometheus counters moved with the commits.
        let metrics = try await HTTPProbe.get(worker.baseURL + "/metrics")
        #expect(metrics.body.contains("orderstream_orders_created_total \(expected.reference.kpis().ordersCreated)"))
        // Which release the worker runs, for dashboards comparing blue and green.
        #expect(
            metrics.body.contains(
                #"orderstream_build_info{version="\#(BuildInfo.version)",revision="\#(BuildInfo.revision)",color="blue"} 1"#
            ),
            "\(metrics.body.split(separator: "\n").filter { $0.contains("build_info") })")
    }
}

/// A dead letter compared by its bytes and reason.
struct DeadLetterKey: Equatable {
    let key: [UInt8]?
    let value: [UInt8]
    let reason: String
}
