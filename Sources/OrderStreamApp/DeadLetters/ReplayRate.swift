/// `--rate N/s` of `dlq replay`: how many letters per second are re-published at most, so a
/// large replay does not swamp the worker (`N` alone means the same).
struct ReplayRate: Sendable, Equatable {
    let perSecond: Double

    static let maximum = 1_000_000.0

    init(perSecond: Double) {
        self.perSecond = perSecond
    }

    init(parsing text: String) throws(DeadLetterInputError) {
        let number = text.hasSuffix("/s") ? String(text.dropLast(2)) : text
        guard let value = Double(number), value.isFinite, value > 0, value <= Self.maximum else {
            throw DeadLetterInputError(
                "--rate \(text.debugDescription) is not a rate like 100/s (more than 0, at most 1000000)")
        }
        perSecond = value
    }

    /// When the `index`-th letter (from 0) may be sent, counted from the start of the replay.
    func delay(before index: Int) -> Duration {
        .nanoseconds(Int64((Double(index) / perSecond * 1e9).rounded()))
    }
}
