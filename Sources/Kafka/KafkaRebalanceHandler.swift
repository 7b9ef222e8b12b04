/// The application's say in a consumer group rebalance.
///
/// Both methods are called ON THE CONSUMER'S POLLING THREAD, from inside
/// `KafkaConsumer.poll` (or `close`), while the whole group waits:
/// - `partitionsRevoked` runs BEFORE the partitions are released, so the caller can
///   finish or roll back their in-flight work first. It may block, but only for a
///   bounded time, and must not wait for anything that itself needs the polling thread.
/// - `partitionsAssigned` runs BEFORE the partitions are assigned; the offsets it
///   returns become the start positions. Partitions absent from the map start from
///   the committed offset (or `auto.offset.reset` when none is committed).
/// With the cooperative protocol the lists are the increments; with the eager protocol
/// they are the whole previous / new assignment.
/// The handler may call the consumer's thread-safe methods (e.g. `assignment()`), but
/// not `poll` or `close`.
public protocol KafkaRebalanceHandler: Sendable {
    /// `lost` is true when the partitions were lost (session timeout, fencing) rather
    /// than handed over cleanly: another member may already own them.
    func partitionsRevoked(_ partitions: [TopicPartition], lost: Bool)
    /// Returns explicit start offsets (next offset to read) for some of `partitions`.
    func partitionsAssigned(_ partitions: [TopicPartition]) -> [TopicPartition: Int64]
}
