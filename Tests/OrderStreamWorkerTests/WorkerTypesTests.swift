import Kafka
import OrderStreamDomain
import Testing

@testable import OrderStreamWorker

/// Colors, the rebalance protocol, topics and KPI kinds reach the worker as enums and leave it
/// as the values PostgreSQL, librdkafka and the metrics always had.
struct WorkerTypesTests {
    static func settings(
        _ properties: KafkaConfiguration = ["bootstrap.servers": "b:1"], color: DeploymentColor = .green
    ) -> WorkerSettings {
        WorkerSettings(
            kafkaProperties: properties, databaseURL: "postgresql://db/x", group: "shop", color: color,
            instanceId: "pod-7")
    }

    @Test func theColorNamesTheGroupAndTheSessions() {
        let settings = Self.settings()
        #expect(settings.kafkaGroupId == "shop-green")
        #expect(settings.applicationName == "orderstream:shop:green:pod-7")
        #expect(Self.settings(color: .blue).kafkaGroupId == "shop-blue")
        #expect(WorkerSettings.topics.map(\.rawValue) == ["orders", "payments"])
    }

    @Test func theConsumerKeepsTheGivenOrderThenAddsTheGroupAndDefaults() {
        let given: KafkaConfiguration = [
            "security.protocol": "SASL_SSL", "fetch.wait.max.ms": "50", "bootstrap.servers": "b:1",
            "acks": "all",
        ]
        let consumer = Self.settings(given).consumerConfiguration
        #expect(
            consumer.properties.map(\.property) == [
                "security.protocol", "fetch.wait.max.ms", "bootstrap.servers", "acks", "group.id", "auto.offset.reset",
                "queued.max.messages.kbytes", "queued.min.messages",
            ])
        // A property the configuration set is not overridden by the worker's default.
        #expect(consumer["fetch.wait.max.ms"] == "50" && consumer["group.id"] == "shop-green")
        // The prefetch bounds: bytes bind, the message count never does first (librdkafka 2.0.2
        // stops a partition's fetch for a second when either is reached).
        #expect(consumer["queued.max.messages.kbytes"] == "8192" && consumer["queued.min.messages"] == "1000000")
        #expect(consumer["partition.assignment.strategy"] == nil && consumer["group.instance.id"] == nil)
        // The producer: the same order, without the consumer-only `fetch.wait.max.ms`.
        #expect(
            Self.settings(given).producerConfiguration.properties.map(\.property) == [
                "security.protocol", "bootstrap.servers", "acks",
            ])
    }

    @Test func theRebalanceProtocolAndStaticMembershipReachTheConsumer() {
        var settings = Self.settings()
        settings.rebalanceProtocol = .eager
        settings.staticMembership = true
        let consumer = settings.consumerConfiguration
        #expect(consumer["partition.assignment.strategy"] == "range")
        #expect(consumer["group.instance.id"] == "pod-7")
        #expect(
            consumer.properties.map(\.property).suffix(2) == ["partition.assignment.strategy", "group.instance.id"])
        settings.rebalanceProtocol = .cooperative
        // Cooperative is KafkaConsumer's own default (cooperative-sticky): nothing set here.
        #expect(settings.consumerConfiguration["partition.assignment.strategy"] == nil)
    }

    @Test func theApplyStatementWritesEachEventTypesKind() {
        for type in EventType.allCases {
            let kind = KPIKind(memberOf: type)
            let place = MemberStorage.place(of: kind)!
            // Payment kinds come from a CASE over the event type (kind and bit); order kinds are
            // read off the order's flags, each with its kind and bit.
            let mapping =
                place.owner == .payment
                ? "WHEN '\(type.rawValue)' THEN '\(kind.rawValue)'" : "('\(kind.rawValue)', \(place.bit), d."
            #expect(ApplyStatement.effects.contains(mapping), "\(mapping)")
            if place.owner == .payment {
                #expect(ApplyStatement.effects.contains("WHEN '\(type.rawValue)' THEN \(place.bit)"))
            }
        }
        #expect(ApplyStatement.effects.contains("SELECT 'customer', f.minute"))
        #expect(ApplyStatement.effects.contains("SELECT minute, 'event', '', count(*), 0 FROM applied"))
        #expect(ApplyStatement.sql.contains(ApplyStatement.effects))
    }

    @Test func theOutcomeIsReadIntoTopicsAndKinds() {
        #expect(BatchApplier.parseCounts("orders:3,payments:4") == [.orders: 3, .payments: 4])
        #expect(BatchApplier.parseCounts("") == [:])
        #expect(
            BatchApplier.parseMembers("payment_captured:EUR:2:1500,customer::1:0")
                == [
                    BatchApplier.MemberDelta(kind: .paymentCaptured, currency: "EUR", count: 2, amountCents: 1500),
                    BatchApplier.MemberDelta(kind: .customer, currency: "", count: 1, amountCents: 0),
                ])
        // A kind this release does not know is left out, as the counters always left it out.
        #expect(BatchApplier.parseMembers("loyalty_points::1:0") == [])
    }

    @Test func everyMemberKindHasItsCounter() {
        #expect(Set(WorkerMetrics.kpiMetricNames.keys) == Set(KPIKind.allCases).subtracting([.event]))
    }

    @Test func cutoverKindsAreTheColumnValues() {
        #expect(Cutover.Kind.allCases.map(\.rawValue) == ["cutover", "canary", "abort"])
        for kind in Cutover.Kind.allCases { #expect(Cutover.Kind(rawValue: kind.rawValue) == kind) }
    }
}
