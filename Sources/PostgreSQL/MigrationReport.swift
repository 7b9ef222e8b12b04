/// What one `MigrationRunner.migrate` call did.
public struct MigrationReport: Sendable, Equatable {
    /// Versions this call applied, in order.
    public var applied: [Int]
    /// Versions that were already applied (by an earlier run or a concurrent runner).
    public var alreadyApplied: [Int]

    public init(applied: [Int], alreadyApplied: [Int]) {
        self.applied = applied
        self.alreadyApplied = alreadyApplied
    }
}
