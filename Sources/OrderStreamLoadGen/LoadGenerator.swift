import OrderStreamDomain

/// A deterministic, streaming source of realistic order and payment messages.
///
/// Exists for `orderstream loadgen`, benchmarks and property tests. The same arguments always
/// give the same byte-identical stream. Messages are produced lazily by the iterator with
/// bounded state (a few orders in flight plus pending duplicates), so a million orders need
/// little memory.
///
/// Per order: an `order.created` (1-4 items, EUR/USD/GBP), then ~80% authorized+captured,
/// ~10% a failed payment then a retry with a new payment id that succeeds, ~5% only a failure,
/// ~5% cancelled; after a capture ~60% shipped and ~3% fully refunded. Customers come from a
/// pool of about `orders / 3`. `occurred_at` starts at `startMicros` and advances 100-500 ms
/// per valid event. After each valid message, with probability `duplicates` a byte-identical
/// copy is scheduled 1-20 messages later, and with probability `invalid` an invalid message of
/// a random reason (never `too_large`) follows it.
public struct LoadGenerator: Sequence, Sendable {
    public let orders: Int
    public let duplicates: Double
    public let invalid: Double
    public let seed: UInt64
    public let startMicros: Int64

    /// How many orders are in flight at once (their events interleave).
    public static let ordersInFlight = 8

    /// The reasons an invalid message may carry.
    public static let invalidReasons: [RejectionReason] = [
        .malformed, .invalidField, .unknownEventType, .wrongTopic, .unsupportedVersion,
        .keyMismatch, .invalidAmount, .invalidCurrency, .totalMismatch,
    ]

    public init(orders: Int, duplicates: Double, invalid: Double, seed: UInt64, startMicros: Int64) {
        self.orders = Swift.max(0, orders)
        self.duplicates = duplicates
        self.invalid = invalid
        self.seed = seed
        self.startMicros = startMicros
    }

    public func makeIterator() -> Iterator {
        Iterator(self)
    }

    /// Produces the messages one at a time.
    public struct Iterator: IteratorProtocol, Sendable {
        let config: LoadGenerator
        var rng: SplitMix64
        var clockMicros: Int64
        var startedOrders = 0
        var active: [OrderFlow] = []
        /// Messages to emit before anything else (invalid messages following a valid one).
        var ready: [GeneratedMessage] = []
        /// Duplicates waiting for their turn: emitted once `emitted >= due`.
        var delayed: [(due: Int, message: GeneratedMessage)] = []
        var emitted = 0
        var eventCounter: UInt64 = 0
        var paymentCounter: UInt64 = 0
        let customerPool: Int

        init(_ config: LoadGenerator) {
            self.config = config
            rng = SplitMix64(seed: config.seed)
            clockMicros = config.startMicros
            customerPool = Swift.max(1, config.orders / 3)
        }

        public mutating func next() -> GeneratedMessage? {
            guard let message = produce() else { return nil }
            emitted += 1
            return message
        }

        private mutating func produce() -> GeneratedMessage? {
            if let index = delayed.firstIndex(where: { $0.due <= emitted }) {
                return delayed.remove(at: index).message
            }
            if !ready.isEmpty {
                return ready.removeFirst()
            }
            while active.count < LoadGenerator.ordersInFlight, startedOrders < config.orders {
                startOrder()
            }
            if active.isEmpty {
                // Stream end: flush the pending duplicates in order.
                return delayed.isEmpty ? nil : delayed.removeFirst().message
            }
            let flowIndex = Int(rng.next() % UInt64(active.count))
            let message = emitNextStep(ofFlow: flowIndex)
            if rng.chance(config.duplicates) {
                var copy = message
                copy.kind = .duplicate
                delayed.append((due: emitted + 1 + Int(rng.next() % 20), message: copy))
            }
            if rng.chance(config.invalid), let flow = active.indices.contains(flowIndex) ? active[flowIndex] : nil {
                let reason = LoadGenerator.invalidReasons[Int(rng.next() % UInt64(LoadGenerator.invalidReasons.count))]
                ready.append(makeInvalid(reason, for: flow))
            }
            if active[flowIndex].isFinished {
                active.remove(at: flowIndex)
            }
            return message
        }

        private mutating func startOrder() {
            let number = startedOrders
            startedOrders += 1
            let customer = "cus-\(config.seed)-\(rng.next() % UInt64(customerPool))"
            var counter = paymentCounter
            let seed = config.seed
            var planRng = rng
            let flow = OrderFlow(orderId: "ord-\(seed)-\(number)", customerId: customer, rng: &planRng) {
                counter += 1
                return "pay-\(seed)-\(counter)"
            }
            rng = planRng
            paymentCounter = counter
            active.append(flow)
        }

        mutating func nextEventId() -> String {
            eventCounter += 1
            return "evt-\(config.seed)-\(eventCounter)"
        }

        mutating func advanceClock() -> String {
            clockMicros += 100_000 + Int64(rng.next() % 400_001)
            return RFC3339.formatMillis(clockMicros)
        }

        private mutating func emitNextStep(ofFlow index: Int) -> GeneratedMessage {
            let flow = active[index]
            let step = flow.steps[flow.nextStep]
            active[index].nextStep += 1
            let occurredAt = advanceClock()
            let type: EventType
            switch step {
            case .created: type = .orderCreated
            case .cancelled: type = .orderCancelled
            case .shipped: type = .orderShipped
            case .payment(let paymentType, _): type = paymentType
            }
            let envelope = EventEncoder.Envelope(
                eventId: nextEventId(), eventType: type.rawValue,
                occurredAt: occurredAt, orderId: flow.orderId, customerId: flow.customerId)
            let value = EventEncoder.encode(envelope) { writer in
                switch step {
                case .created:
                    EventEncoder.writeCreated(
                        &writer, items: flow.items, totalCents: flow.totalCents, currency: flow.currency)
                case .cancelled:
                    writer.field("reason", "customer_request")
                case .shipped:
                    writer.field("carrier", "dhl")
                    writer.field("tracking_number", "TN-\(flow.orderId)")
                case .payment(let paymentType, let paymentId):
                    EventEncoder.writePayment(
                        &writer, type: paymentType, paymentId: paymentId,
                        amountCents: flow.totalCents, currency: flow.currency)
                }
            }
            return GeneratedMessage(topic: type.topic, key: Array(flow.orderId.utf8), value: value, kind: .valid)
        }
    }
}
