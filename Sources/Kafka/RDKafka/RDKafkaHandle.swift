import CRdKafka

/// An `rd_kafka_t *` (or another librdkafka object pointer) that may cross threads.
// @unchecked Sendable: librdkafka documents its handles as thread-safe for every call
// this package makes from several threads (produce, flush, commit, committed,
// watermarks, assignment, pause/resume, mock-cluster calls). The one exception,
// consumer polling, is confined to one thread by `KafkaConsumer`'s state lock, and
// the pointer's lifetime is guarded by its owner's active-call count (nothing is
// destroyed while a call is inside librdkafka).
struct RDKafkaHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// Milliseconds for librdkafka timeouts, clamped to `Int32`.
extension Duration {
    var kafkaMilliseconds: Int32 {
        let (seconds, attoseconds) = components
        let ms = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return Int32(clamping: max(0, ms))
    }
}
