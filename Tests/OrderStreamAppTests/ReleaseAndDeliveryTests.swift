import Foundation
import OrderStreamApp
import OrderStreamTestSupport
import Testing

/// What a release says about itself, and what `publish` and `loadgen` say when no broker answers.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ReleaseAndDeliveryTests {
    @Test func versionNamesTheReleaseAndTheRevision() throws {
        let result = try ProcessRunner.orderstream(["--version"])
        #expect(result.status == 0, "\(result.stderr)")
        let line = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(line == "orderstream \(BuildInfo.version) (revision \(BuildInfo.revision))")
        // Built from this checkout: the revision is a commit of this repository (HEAD when it was
        // built; a developer may have committed since), not the fallback.
        let sha = String(BuildInfo.revision.prefix(40))
        #expect(sha.count == 40 && sha.allSatisfy(\.isHexDigit), "revision \(BuildInfo.revision)")
        #expect(BuildInfo.revision.dropFirst(40).isEmpty || BuildInfo.revision.hasSuffix("-dirty"))
        let known = try ProcessRunner.runToEnd("/usr/bin/git", ["cat-file", "-e", sha + "^{commit}"])
        #expect(known.status == 0, "\(sha) is not a commit of this repository: \(known.stderr)")
        #expect(BuildInfo.version.split(separator: ".").count == 3, "semantic version: \(BuildInfo.version)")
    }

    /// One line per distinct error, naming the brokers and the timeout, within the configured
    /// delivery timeout (not librdkafka's five minutes), non-zero exit, and never the payload.
    @Test func publishToAnUnreachableBrokerFailsWithinItsTimeoutInOneLine() throws {
        let lines = (1...50).map {
            #"{"event_id":"e-\#($0)","event_type":"order.cancelled","order_id":"secret-order-\#($0)","customer_id":"c","schema_version":1,"occurred_at":"2026-11-26T12:00:00Z","data":{"reason":"x"}}"#
        }
        let started = Date()
        let result = try ProcessRunner.orderstream(
            ["publish", "--brokers", "127.0.0.1:1", "--delivery-timeout", "2"],
            input: lines.joined(separator: "\n") + "\n")
        let elapsed = Date().timeIntervalSince(started)
        #expect(result.status == 1, "\(result.stderr)")
        // 2 s plus librdkafka's reconnect back-off (at most 10 s by default) and start-up.
        #expect(elapsed < 15, "took \(elapsed) s")
        let summary = result.stderr.split(separator: "\n").filter { $0.hasPrefix("orderstream publish:") }
        #expect(summary.count == 1, "\(result.stderr)")
        #expect(
            summary.first?.contains("50 events not delivered within 2 s to brokers 127.0.0.1:1") == true, "\(summary)")
        #expect(summary.first?.contains("Message timed out") == true, "\(summary)")
        #expect(!result.stderr.contains("secret-order"), "a delivery error must not carry the payload")
        #expect(result.stdout.contains("published 0 events"))
    }

    @Test func theDeliveryTimeoutDefaultsTo30SecondsAndIsValidated() throws {
        let bad = try ProcessRunner.orderstream(["publish", "--delivery-timeout", "0"], input: "")
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--delivery-timeout"), "\(bad.stderr)")
        let huge = try ProcessRunner.orderstream(["loadgen", "--orders", "1", "--delivery-timeout", "nan"])
        #expect(huge.status != 0)
        #expect(huge.stderr.contains("delivery-timeout"), "\(huge.stderr)")
    }

    @Test func loadgenToAnUnreachableBrokerFailsWithinItsTimeoutInOneLine() throws {
        let started = Date()
        let result = try ProcessRunner.orderstream(
            ["loadgen", "--orders", "100", "--brokers", "127.0.0.1:1", "--delivery-timeout", "2"])
        let elapsed = Date().timeIntervalSince(started)
        #expect(result.status != 0)
        #expect(elapsed < 15, "took \(elapsed) s")
        let errors = result.stderr.split(separator: "\n").filter { $0.contains("orderstream loadgen:") }
        #expect(errors.count == 1, "\(result.stderr)")
        #expect(errors.first?.contains("127.0.0.1:1") == true, "\(errors)")
    }
}
