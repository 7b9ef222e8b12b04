import Testing

@testable import OrderStreamDomain

@Suite("KPIs")
struct KPITests {
    @Test("snapshot JSON: field names, success rate, sorted currency maps, totals-only fields")
    func snapshotJSON() throws {
        var snapshot = KPISnapshot()
        #expect(snapshot.paymentSuccessRate == nil)
        #expect(
            snapshot.json(includeTotalsOnly: true)
                == #"{"orders_created":0,"orders_cancelled":0,"orders_shipped":0,"payments_authorized":0,"payments_failed":0,"payments_captured":0,"payments_refunded":0,"captured_cents":{},"refunded_cents":{},"payment_success_rate":null,"active_customers":0,"events_applied":0,"events_duplicate":0,"events_rejected":0}"#
        )
        snapshot.paymentsAuthorized = 3
        snapshot.paymentsFailed = 1
        snapshot.capturedCents = ["USD": 5, "EUR": 7, "GBP": 1]
        snapshot.eventsDuplicate = 9
        #expect(snapshot.paymentSuccessRate == 0.75)
        let window = snapshot.json(includeTotalsOnly: false)
        #expect(window.contains(#""captured_cents":{"EUR":7,"GBP":1,"USD":5}"#))
        #expect(window.contains(#""payment_success_rate":0.75"#))
        #expect(!window.contains("events_duplicate"))
        #expect(!window.contains("events_rejected"))
        let parsed = try #require(try JSONParser.parse(snapshot.json(includeTotalsOnly: true)).objectValue)
        #expect(parsed["events_duplicate"] == .integer(9))
        #expect(parsed.count == 14)
    }

    @Test("window parsing")
    func windows() throws {
        #expect(try KPIWindow.parse(from: nil, to: nil) == nil)
        let window = try #require(
            try KPIWindow.parse(from: "2026-11-26T12:00:00Z", to: "2026-11-26T14:00:00.000+01:00"))
        #expect(window.fromMicros == RFC3339.parseMicros("2026-11-26T12:00:00Z"))
        #expect(window.toMicros == window.fromMicros + 3_600_000_000)
        #expect(window.contains(window.fromMicros))
        #expect(!window.contains(window.toMicros))
    }

    @Test("window errors")
    func windowErrors() {
        func error(_ from: String?, _ to: String?) -> KPIWindowError? {
            do { _ = try KPIWindow.parse(from: from, to: to); return nil } catch { return error }
        }
        #expect(error("2026-11-26T12:00:00Z", nil) == .missingParameter("to"))
        #expect(error(nil, "2026-11-26T12:00:00Z") == .missingParameter("from"))
        #expect(error("noon", "2026-11-26T12:00:00Z") == .notATimestamp("from"))
        #expect(error("2026-11-26T12:00:00Z", "2026-11-26T13:00:00") == .notATimestamp("to"))
        #expect(error("2026-11-26T12:00:30Z", "2026-11-26T13:00:00Z") == .notWholeMinute("from"))
        #expect(error("2026-11-26T12:00:00Z", "2026-11-26T13:00:00.5Z") == .notWholeMinute("to"))
        #expect(error("2026-11-26T13:00:00Z", "2026-11-26T12:00:00Z") == .emptyRange)
        #expect(error("2026-11-26T12:00:00Z", "2026-11-26T12:00:00Z") == .emptyRange)
        #expect(error("2026-11-26T12:00:00Z", "2026-11-26T12:01:00Z") == nil)
        #expect(KPIWindowError.emptyRange.jsonBody == #"{"error":"from must be earlier than to"}"#)
    }
}
