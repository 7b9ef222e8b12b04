/// The latencies of the last `span` seconds, for a percentile that describes now rather than
/// since the start (Prometheus histograms are cumulative). Pure; the owner locks it.
struct LatencyWindow: Sendable, Equatable {
    /// (when, seconds), oldest first.
    private(set) var samples: [(at: Double, seconds: Double)] = []
    let span: Double
    /// Bound on memory: at most this many samples, the oldest dropped first.
    let capacity: Int

    init(span: Double = 60, capacity: Int = 4_096) {
        self.span = span
        self.capacity = capacity
    }

    mutating func record(_ seconds: Double, at now: Double) {
        samples.append((now, seconds))
        if samples.count > capacity { samples.removeFirst(samples.count - capacity) }
    }

    /// The `quantile` (0...1) of the samples younger than `span` at `now` (nearest rank), or nil
    /// without any.
    mutating func percentile(_ quantile: Double, at now: Double) -> Double? {
        if let firstKept = samples.firstIndex(where: { now - $0.at <= span }) {
            samples.removeFirst(firstKept)
        } else {
            samples.removeAll()
        }
        guard !samples.isEmpty else { return nil }
        let sorted = samples.map(\.seconds).sorted()
        let rank = Int((quantile * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    static func == (lhs: LatencyWindow, rhs: LatencyWindow) -> Bool {
        lhs.span == rhs.span && lhs.capacity == rhs.capacity && lhs.samples.elementsEqual(rhs.samples) { $0 == $1 }
    }
}
