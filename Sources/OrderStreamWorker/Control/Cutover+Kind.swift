extension Cutover {
    /// What a step did, as the `kind` column of `cutovers` and `analyses` records it.
    public enum Kind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// Every partition moved; the target became the active color (a cutover, a promotion, a
        /// rollback).
        case cutover
        /// Some partitions moved to the standby color; the active color stayed.
        case canary
        /// A canary's partitions went back to the active color.
        case abort

        public var description: String { rawValue }
    }
}
