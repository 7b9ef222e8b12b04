import OrderStreamWorker
import Testing

@testable import OrderStreamWorker

/// When the analysis calls a breach, and the latency window behind the p99 limit, without I/O.
struct CanaryAnalysisTests {
    static let limits = CanaryAnalysis.Limits(maxDeadLetterRate: 0.01, maxP99Seconds: 0.5, maxLagSeconds: 30)

    @Test func theFirstBrokenLimitIsNamedWithItsValue() {
        #expect(
            CanaryAnalysis.breach(
                .init(consumed: 1_000, deadLettered: 5, p99Seconds: 0.1, lagSeconds: 2), limits: Self.limits) == nil)
        #expect(
            CanaryAnalysis.breach(.init(consumed: 200, deadLettered: 200), limits: Self.limits)
                == "dead-letter rate 100.0% > 1.0% (200 of 200 events)")
        #expect(
            CanaryAnalysis.breach(.init(consumed: 1_000, deadLettered: 0, p99Seconds: 0.75), limits: Self.limits)
                == "p99 apply time 750 ms > 500 ms")
        #expect(
            CanaryAnalysis.breach(.init(consumed: 1_000, deadLettered: 0, lagSeconds: 42.04), limits: Self.limits)
                == "lag 42.0 s > 30.0 s")
        // Too few events to judge a rate: one bad event among the first few is not a breach.
        #expect(CanaryAnalysis.breach(.init(consumed: 3, deadLettered: 3), limits: Self.limits) == nil)
        // Unwatched figures are never a breach.
        #expect(
            CanaryAnalysis.breach(
                .init(consumed: 500, deadLettered: 500, p99Seconds: 9, lagSeconds: 900),
                limits: .init()) == nil)
    }

    @Test func durationsTakeTheUsualUnits() {
        #expect(CanaryAnalysis.duration("5m") == 300)
        #expect(CanaryAnalysis.duration("90s") == 90)
        #expect(CanaryAnalysis.duration("500ms") == 0.5)
        #expect(CanaryAnalysis.duration("2h") == 7_200)
        #expect(CanaryAnalysis.duration("12") == 12)
        for bad in ["", "0s", "-5m", "5 minutes", "ms", "infs"] {
            #expect(CanaryAnalysis.duration(bad) == nil, "\(bad)")
        }
    }

    @Test func theLatencyWindowForgetsWhatIsOlderThanItsSpan() {
        var window = LatencyWindow(span: 60, capacity: 1_000)
        #expect(window.percentile(0.99, at: 0) == nil)
        for i in 1...100 { window.record(Double(i) / 1000, at: 10) }
        #expect(window.percentile(0.99, at: 20) == 0.099)
        #expect(window.percentile(0.5, at: 20) == 0.05)
        window.record(5, at: 65)
        #expect(window.percentile(1, at: 65) == 5)
        // At 71 the first hundred are older than 60 s.
        #expect(window.percentile(0.99, at: 71) == 5)
        #expect(window.samples.count == 1)
        var bounded = LatencyWindow(span: 60, capacity: 3)
        for i in 1...5 { bounded.record(Double(i), at: 0) }
        #expect(bounded.samples.map(\.seconds) == [3, 4, 5])
    }
}
