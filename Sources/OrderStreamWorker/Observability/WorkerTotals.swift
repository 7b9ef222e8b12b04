/// What one worker did since it started: written with its heartbeat to `workers`, summed per
/// color by `orderstream status`.
struct WorkerTotals: Sendable, Equatable {
    var eventsApplied: Int64 = 0
    var deadLettered: Int64 = 0
    var batchRetries: Int64 = 0
    var applyFailed: Int64 = 0
}
