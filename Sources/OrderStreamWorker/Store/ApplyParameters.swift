import Kafka
import OrderStreamDomain

/// The column arrays of `ApplyStatement` for one batch, built once per batch. Kept apart from the
/// statement's execution so the mapping of events to columns is testable without a database.
struct ApplyParameters: Sendable {
    var eventIds: [String] = []
    var eventTypes: [String] = []
    var orderIds: [String] = []
    var customerIds: [String] = []
    var occurredMicros: [Int64] = []
    var minuteMicros: [Int64] = []
    var paymentIds: [String?] = []
    var amounts: [Int64?] = []
    var currencies: [String?] = []
    var topics: [String] = []
    var partitions: [Int32] = []
    var offsets: [Int64] = []

    var positionTopics: [String] = []
    var positionPartitions: [Int32] = []
    var positionExpected: [Int64] = []
    var positionNext: [Int64] = []
    var positionSent: [Int64] = []
    var positionDuplicates: [Int64] = []
    var positionRejected: [Int64] = []
    var positionEpochs: [Int64] = []

    init(batch: ValidatedBatch, epochs: [TopicPartition: Int64]) {
        let count = batch.events.count
        eventIds.reserveCapacity(count)
        eventTypes.reserveCapacity(count)
        orderIds.reserveCapacity(count)
        customerIds.reserveCapacity(count)
        occurredMicros.reserveCapacity(count)
        minuteMicros.reserveCapacity(count)
        paymentIds.reserveCapacity(count)
        amounts.reserveCapacity(count)
        currencies.reserveCapacity(count)
        topics.reserveCapacity(count)
        partitions.reserveCapacity(count)
        offsets.reserveCapacity(count)
        for (event, message) in batch.events {
            eventIds.append(event.eventId)
            eventTypes.append(event.eventType.rawValue)
            orderIds.append(event.orderId)
            customerIds.append(event.customerId)
            occurredMicros.append(event.occurredAtMicros)
            minuteMicros.append(Self.minuteStart(event.occurredAtMicros))
            switch event.payload {
            case .orderCreated(_, let totalCents, let currency):
                paymentIds.append(nil)
                amounts.append(totalCents)
                currencies.append(currency)
            case .payment(let payment):
                paymentIds.append(payment.paymentId)
                amounts.append(payment.amountCents)
                currencies.append(payment.currency)
            case .orderCancelled, .orderShipped:
                paymentIds.append(nil)
                amounts.append(nil)
                currencies.append(nil)
            }
            topics.append(message.partition.topic)
            partitions.append(message.partition.partition)
            offsets.append(message.offset)
        }
        for (key, slice) in batch.partitions.sorted(by: { $0.key < $1.key }) {
            positionTopics.append(key.topic)
            positionPartitions.append(key.partition)
            positionExpected.append(slice.expectedOffset)
            positionNext.append(slice.nextOffset)
            positionSent.append(slice.sent)
            positionDuplicates.append(slice.duplicatesInBatch)
            positionRejected.append(slice.rejected)
            positionEpochs.append(epochs[key] ?? -1)
        }
    }

    /// The start of the UTC minute holding `micros` (floor, also before 1970).
    static func minuteStart(_ micros: Int64) -> Int64 {
        let minute: Int64 = 60_000_000
        let remainder = micros % minute
        return remainder >= 0 ? micros - remainder : micros - remainder - minute
    }
}
