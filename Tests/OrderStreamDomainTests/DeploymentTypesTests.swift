import Testing

@testable import OrderStreamDomain

/// The enums that cross from the configuration into the worker and back out to PostgreSQL,
/// Kafka and the metrics as their raw values: those values are what the database, librdkafka
/// and dashboards hold, so they must round-trip and never change.
struct DeploymentTypesTests {
    @Test func colorsRoundTripThroughTheirValues() {
        #expect(DeploymentColor.allCases.map(\.rawValue) == ["blue", "green"])
        for color in DeploymentColor.allCases {
            #expect(DeploymentColor(rawValue: color.rawValue) == color)
            #expect("\(color)" == color.rawValue)
            #expect(color.other != color && color.other.other == color)
        }
        #expect(DeploymentColor(rawValue: "Blue") == nil && DeploymentColor(rawValue: "purple") == nil)
    }

    @Test func rebalanceProtocolsRoundTripThroughTheirValues() {
        #expect(RebalanceProtocol.allCases.map(\.rawValue) == ["cooperative", "eager"])
        for value in RebalanceProtocol.allCases {
            #expect(RebalanceProtocol(rawValue: value.rawValue) == value)
            #expect("\(value)" == value.rawValue)
        }
        #expect(RebalanceProtocol(rawValue: "sticky") == nil)
    }

    @Test func topicsRoundTripThroughTheirNames() {
        #expect(Topic.allCases.map(\.rawValue) == ["orders", "payments"])
        for topic in Topic.allCases { #expect(Topic(rawValue: topic.rawValue) == topic) }
        #expect(Topic.allCases.map(\.deadLetterTopic) == ["orders.dlq", "payments.dlq"])
    }

    @Test func kpiKindsAreTheColumnValues() {
        #expect(
            KPIKind.allCases.map(\.rawValue) == [
                "order_created", "order_cancelled", "order_shipped", "payment_authorized", "payment_failed",
                "payment_captured", "payment_refunded", "customer", "event",
            ])
        for kind in KPIKind.allCases {
            #expect(KPIKind(rawValue: kind.rawValue) == kind)
            #expect("\(kind)" == kind.rawValue)
        }
        #expect(KPIKind.allCases.filter(\.carriesAmount) == [.paymentCaptured, .paymentRefunded])
    }

    @Test func everyEventTypeMakesAMemberOfItsOwnKind() {
        for type in EventType.allCases {
            // order.created -> order_created, payment.refunded -> payment_refunded, ...
            #expect(KPIKind(memberOf: type).rawValue == String(type.rawValue.map { $0 == "." ? "_" : $0 }))
        }
        #expect(Set(EventType.allCases.map(KPIKind.init(memberOf:))).count == EventType.allCases.count)
    }
}
