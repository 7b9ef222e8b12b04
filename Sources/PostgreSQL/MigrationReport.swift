/// What one `MigrationRunner.migrate` call did.
public struct MigrationReport: Sendable, Equatable {
    /// Versions this call applied, in order.
    public var applied: [Int]
    /// Versions that were already applied (by an earlier run or a concurrent runner).
    public var alreadyApplied: [Int]
    /// Applied versions this binary does not know (a newer release applied them) that declared
    /// themselves compatible with older releases.
    public var newerCompatible: [Int]

    public init(applied: [Int], alreadyApplied: [Int], newerCompatible: [Int] = []) {
        self.applied = applied
        self.alreadyApplied = alreadyApplied
        self.newerCompatible = newerCompatible
    }
}
