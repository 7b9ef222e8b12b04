extension PartitionStates {
    /// How many messages of each partition's buffer (given as their Kafka timestamps, in
    /// offset order) a batch of at most `capacity` takes: the oldest first across partitions,
    /// each partition's share a prefix of its buffer. The shares sum to
    /// `min(capacity, all buffered)`.
    ///
    /// The order is a merge by `(timestamp so far, place in its buffer, partition)`:
    /// - "timestamp so far" is the largest timestamp up to that message in its partition, so
    ///   a partition's keys never decrease and its share stays a prefix even when a producer's
    ///   clock stepped back; a message without a timestamp counts as older than any;
    /// - among equal timestamps (or none at all), partitions take turns message by message, so
    ///   a batch of messages without timestamps is a max-min fair share of every partition.
    ///
    /// A producer whose clock runs behind gets its partition served first; the others still
    /// move in every batch it does not fill.
    static func oldestFirstShares<Timestamps: Collection<Int64?>>(
        _ buffers: [Timestamps], capacity: Int
    ) -> [Int] {
        var shares = Array(repeating: 0, count: buffers.count)
        let total = buffers.reduce(0) { $0 + $1.count }
        guard capacity < total else { return buffers.map(\.count) }
        guard capacity > 0 else { return shares }
        // One cursor per partition: the next message's index and its key so far.
        var cursors = buffers.map { $0.startIndex }
        var keys = buffers.map { buffer in buffer.first.map { $0 ?? .min } ?? .max }
        for _ in 0..<capacity {
            var best = -1
            for index in buffers.indices where cursors[index] != buffers[index].endIndex {
                if best < 0 || (keys[index], shares[index], index) < (keys[best], shares[best], best) {
                    best = index
                }
            }
            shares[best] += 1
            buffers[best].formIndex(after: &cursors[best])
            if cursors[best] != buffers[best].endIndex {
                keys[best] = max(keys[best], buffers[best][cursors[best]] ?? .min)
            }
        }
        return shares
    }
}
