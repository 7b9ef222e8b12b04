/// The rebalance protocol of a worker's consumer group.
///
/// In the domain (not the configuration) so that the worker receives the choice itself rather
/// than a Bool that stands for it.
public enum RebalanceProtocol: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Cooperative-sticky: a rebalance moves only the partitions that change owner (the default).
    case cooperative
    /// Range: every rebalance revokes every partition.
    case eager

    public var description: String { rawValue }
}
