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
