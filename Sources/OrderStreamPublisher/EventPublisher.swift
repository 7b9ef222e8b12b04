import Foundation
import Kafka
import Logging
import OrderStreamCommon
import OrderStreamDomain
import Synchronization

/// Where the broker wrote an event.
public struct Delivery: Sendable, Hashable {
    /// `orders` or `payments`.
    public var topic: String
    /// The partition (chosen by librdkafka's partitioner from the key, `order_id`).
    public var partition: Int32
    /// The event's offset in that partition.
    public var offset: Int64
    /// The `event_id` of the delivered event.
    public var eventId: String
}

/// How an ``EventPublisher`` talks to Kafka and how much it may hold in flight.
public struct PublisherConfiguration: Sendable {
    /// Bootstrap servers, `host:port[,host:port...]`.
    public var brokers: String
    /// Any further librdkafka producer property (security, `linger.ms`, ...). Wins over the
    /// publisher's defaults except `bootstrap.servers`, `message.timeout.ms` (from
    /// ``deliveryTimeout``) and `enable.idempotence`, which is always `true`. Set on librdkafka
    /// in the order given (a dictionary literal keeps its order), since a later property may
    /// override an earlier one there.
    public var kafkaProperties: KafkaConfiguration
    /// How long one event may wait for the broker's acknowledgement before
    /// ``EventPublisher/send(_:)`` throws ``PublishError/notDelivered(_:)``
    /// (librdkafka's `message.timeout.ms`). Default 30 s.
    public var deliveryTimeout: Duration
    /// The most events handed to the producer and not yet acknowledged. A `send` beyond it
    /// suspends until an earlier one finishes: back-pressure instead of an unbounded queue.
    /// Default 10,000.
    public var maxInFlight: Int
    /// How long ``EventPublisher/close()`` waits for the events in flight. Default 30 s.
    public var closeTimeout: Duration

    public init(
        brokers: String, kafkaProperties: KafkaConfiguration = [:], deliveryTimeout: Duration = .seconds(30),
        maxInFlight: Int = 10_000, closeTimeout: Duration = .seconds(30)
    ) {
        self.brokers = brokers
        self.kafkaProperties = kafkaProperties
        self.deliveryTimeout = deliveryTimeout
        self.maxInFlight = max(1, maxInFlight)
        self.closeTimeout = closeTimeout
    }

    /// What the producer sets on librdkafka, in this order: ``kafkaProperties`` as given, then
    /// the brokers, idempotence and the delivery timeout (in a given property's place when it
    /// was given: these win).
    public var librdkafkaProperties: KafkaConfiguration {
        var kafka = kafkaProperties
        kafka["bootstrap.servers"] = brokers
        kafka["enable.idempotence"] = "true"
        kafka["message.timeout.ms"] = String(max(1, deliveryTimeout.milliseconds))
        return kafka
    }
}

/// Publishes contract v1 events to Kafka for a Swift service.
///
/// - Every event is checked by the contract's own validator (`EventValidator`, the one the
///   worker runs) before anything is sent: an event the worker would dead-letter is a thrown
///   ``PublishError/invalid(field:reason:detail:)`` and never reaches the wire.
/// - The producer is idempotent (`enable.idempotence=true`) and keys every event by its
///   `order_id`, so one order's events stay in order on one partition of each topic, and the
///   producer's own retries never duplicate or reorder them.
/// - ``send(_:)`` returns once the broker acknowledged the event, with its partition and
///   offset, or throws a typed error within ``PublisherConfiguration/deliveryTimeout``.
/// - At most ``PublisherConfiguration/maxInFlight`` events are in flight; further sends
///   suspend until one finishes.
/// - ``close()`` waits for the events in flight (flush), then releases the producer.
///
/// ```swift
/// let publisher = try EventPublisher(configuration: .init(brokers: "kafka:9092"))
/// let delivery = try await publisher.send(.orderCreated(
///     orderId: "ord-1", customerId: "cus-1",
///     items: [LineItem(sku: "sku-1", quantity: 2, unitPriceCents: 1299)], currency: "EUR"))
/// await publisher.close()
/// ```
///
/// Sends of one order are delivered in the order they were *awaited*: to keep two events of
/// an order in order, await the first `send` before starting the second (concurrent sends of
/// different orders are fine).
public final class EventPublisher: Sendable {
    private struct State {
        var closed = false
        var active = 0
        var brokerReachable = true
    }

    private let producer: KafkaProducer
    private let configuration: PublisherConfiguration
    private let limit: InFlightLimit
    /// A reference to the state, so the producer's error callback can hold it too.
    private final class StateBox: Sendable {
        let mutex = Mutex(State())
        func withLock<T>(_ body: (inout State) -> T) -> T { mutex.withLock { body(&$0) } }
    }

    private let state = StateBox()
    private let logger: Logger

    /// Creates the producer (no connection is made yet; see ``prepare(timeout:)``).
    /// - Throws: `KafkaError.invalidConfiguration` when librdkafka refuses a property.
    public init(
        configuration: PublisherConfiguration, logger: Logger = Logger(label: "orderstream.publisher")
    ) throws(KafkaError) {
        let kafka = configuration.librdkafkaProperties
        self.configuration = configuration
        self.limit = InFlightLimit(limit: configuration.maxInFlight)
        self.logger = logger
        let state = self.state
        self.producer = try KafkaProducer(
            configuration: kafka, queueFullTimeout: configuration.deliveryTimeout,
            closeTimeout: configuration.closeTimeout, logger: logger,
            onError: { error in
                if error.code == .allBrokersDown { state.withLock { $0.brokerReachable = false } }
            })
    }

    /// Events handed to the producer and not yet acknowledged or failed.
    public var inFlight: Int { limit.inUse }

    /// `false` after librdkafka reported every broker down, until the next acknowledgement.
    public var isBrokerReachable: Bool { state.withLock { $0.brokerReachable } }

    /// Fetches the metadata of `orders` and `payments` now (off Swift's cooperative pool), so
    /// the first events are not held back by the lookup; fails when no broker answers in time.
    public func prepare(timeout: Duration = .seconds(10)) async throws(PublishError) {
        let producer = self.producer
        let result: Result<Void, KafkaError> = await Blocking.run {
            Result { () throws(KafkaError) in
                try producer.prepare(topics: Topic.allCases.map(\.rawValue), timeout: timeout)
            }
        }
        if case .failure(let error) = result { throw .notDelivered(error) }
    }

    /// Checks `event` against contract v1 and returns the rejection the worker would give it,
    /// or `nil` when it is valid. ``send(_:)`` does this itself.
    public static func check(_ event: OutgoingEvent) -> PublishError? {
        guard
            case .rejected(let rejection) = EventValidator.validate(
                topic: event.topic, key: event.key, value: event.value)
        else {
            return nil
        }
        return .invalid(field: PublishError.field(of: rejection), reason: rejection.reason, detail: rejection.detail)
    }

    /// Validates `event`, waits for a free in-flight slot, sends it and waits for the broker.
    ///
    /// - Returns: where the broker wrote it.
    /// - Throws: ``PublishError/invalid(field:reason:detail:)`` (nothing sent),
    ///   ``PublishError/notDelivered(_:)`` (not acknowledged within the delivery timeout, or
    ///   refused), ``PublishError/closed``.
    @discardableResult
    public func send(_ event: OutgoingEvent) async throws(PublishError) -> Delivery {
        if let problem = Self.check(event) { throw problem }
        if state.withLock({ $0.closed }) { throw .closed }
        await limit.acquire()
        defer { limit.release() }
        let accepted = state.withLock { state -> Bool in
            if state.closed { return false }
            state.active += 1
            return true
        }
        guard accepted else { throw .closed }
        defer { state.withLock { $0.active -= 1 } }
        let message = KafkaOutgoingMessage(topic: event.topic, key: event.key, value: event.value)
        do {
            let report = try await producer.send(message)
            state.withLock { $0.brokerReachable = true }
            return Delivery(
                topic: report.topic, partition: report.partition, offset: report.offset, eventId: event.eventId)
        } catch {
            throw .notDelivered(error)
        }
    }

    /// Stops accepting events, waits (at most ``PublisherConfiguration/closeTimeout``) until
    /// every event already handed to the producer is acknowledged or failed, and releases the
    /// producer. Sends waiting for a slot, and later sends, throw ``PublishError/closed``.
    /// Idempotent.
    public func close() async {
        state.withLock { $0.closed = true }
        let deadline = ContinuousClock.now + configuration.closeTimeout
        while state.withLock({ $0.active }) > 0 && ContinuousClock.now < deadline {
            try? await producer.flush(timeout: .milliseconds(100))
            if state.withLock({ $0.active }) > 0 { try? await Task.sleep(for: .milliseconds(1)) }
        }
        let producer = self.producer
        await Blocking.run { producer.close() }
    }
}
