import Foundation
import Logging
import OrderStreamDomain
import Testing

@testable import OrderStreamApp

/// Small pieces of the executable: JSON log lines, the KPI table, routing of published lines.
struct LoggingAndCommandsTests {
    @Test func aJSONLogLineHoldsTimeLevelMessageAndMetadata() throws {
        let line = JSONLinesLogHandler.render(
            time: Date(timeIntervalSince1970: 1_795_000_000), level: .warning, message: "batch \"retried\"",
            label: "orderstream.worker",
            metadata: ["topic": "orders", "partition": "3", "offset": "42", "color": "blue"])
        let object = try #require(try JSONParser.parse(line).objectValue)
        #expect(object["level"]?.stringValue == "warning")
        #expect(object["message"]?.stringValue == "batch \"retried\"")
        #expect(object["topic"]?.stringValue == "orders" && object["partition"]?.stringValue == "3")
        #expect(object["offset"]?.stringValue == "42" && object["color"]?.stringValue == "blue")
        #expect(RFC3339.parseMicros(object["time"]?.stringValue ?? "") == 1_795_000_000_000_000)
        #expect(!line.contains("\n"))
    }

    @Test func theKPITableIsReadable() {
        var k = KPISnapshot()
        k.ordersCreated = 1_234
        k.capturedCents = ["EUR": 123_456_789]
        k.paymentsAuthorized = 9
        k.paymentsFailed = 1
        let table = KPIsCommand.table(k, window: nil)
        #expect(table.contains("orders created") && table.contains("1234"))
        #expect(table.contains("1,234,567.89"))
        #expect(table.contains("90.00%"))
        #expect(KPIsCommand.money(-5) == "-0.05")
    }

    @Test func publishRoutesByEventTypeAndKeysByOrderId() throws {
        let line = #"{"event_type":"payment.captured","order_id":"ord-9","event_id":"e"}"#
        let routed = try PublishCommand.route(line: line, forcedTopic: nil).get()
        #expect(routed.topic == "payments" && routed.key == Array("ord-9".utf8) && routed.value == Array(line.utf8))
        #expect(throws: PublishCommand.RoutingProblem.self) {
            try PublishCommand.route(line: "nope", forcedTopic: nil).get()
        }
        #expect(throws: PublishCommand.RoutingProblem.self) {
            try PublishCommand.route(line: "[1]", forcedTopic: nil).get()
        }
        #expect(throws: PublishCommand.RoutingProblem.self) {
            try PublishCommand.route(line: #"{"event_type":"order.created"}"#, forcedTopic: nil).get()
        }
        let forced = try PublishCommand.route(line: "not json", forcedTopic: "orders").get()
        #expect(forced.topic == "orders" && forced.key == nil)
    }
}
