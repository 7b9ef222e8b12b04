import OrderStreamCommon
import Testing

@Suite struct SecretsTests {
    /// The union of what the Kafka layer, the PostgreSQL layer and the App masked before.
    @Test func secretPropertiesAreTheStrictestUnion() {
        for name in [
            "sasl.password", "ssl.key.password", "ssl.keystore.password", "sasl.oauthbearer.config",
            "sasl.oauthbearer.method", "ssl.key.pem", "ssl_key", "SASL.PASSWORD", "client.secret", "api.token",
        ] {
            #expect(Secrets.isSecretProperty(name), "\(name)")
        }
        for name in ["bootstrap.servers", "client.id", "acks", "sasl.mechanism"] {
            #expect(!Secrets.isSecretProperty(name), "\(name)")
        }
        #expect(Secrets.masked(property: "sasl.password", value: "hunter2") == Secrets.mask)
        #expect(Secrets.masked(property: "client.id", value: "x") == "x")
    }

    @Test func connectionStringsAreRedacted() {
        #expect(Secrets.redactConnectionString("postgresql://u:pw@h/db") == "postgresql://u:***@h/db")
        #expect(Secrets.redactConnectionString("postgresql://u:p@w@h:5432/db") == "postgresql://u:***@h:5432/db")
        #expect(Secrets.redactConnectionString("postgresql://u@h/db") == "postgresql://u@h/db")
        #expect(
            Secrets.redactConnectionString("postgresql://h/db?sslmode=require&PASSWORD=pw#x")
                == "postgresql://h/db?sslmode=require&PASSWORD=***#x")
        #expect(Secrets.redactConnectionString("host=h password=pw user=u") == "host=h password=*** user=u")
        #expect(
            Secrets.redactConnectionString("host=h password = 'a \\' b' user=u") == "host=h password = '***' user=u")
        #expect(Secrets.redactConnectionString("host=h user=password") == "host=h user=password")
    }

    @Test func candidatesIncludeThePercentDecodedForm() {
        let found = ConnectionStringPasswords.candidates(in: "postgresql://u:p%40ss@h/db")
        #expect(found.contains("p%40ss"))
        #expect(found.contains("p@ss"))
        #expect(SecretScrubber(secrets: found).scrub("bad token p@ss and p%40ss") == "bad token *** and ***")
        #expect(SecretScrubber.none.scrub("p@ss") == "p@ss")
    }
}

@Suite struct DurationConversionTests {
    @Test func conversions() {
        #expect(Duration.milliseconds(1500).seconds == 1.5)
        #expect(Duration.microseconds(2_999).milliseconds == 2)
        #expect(Duration.seconds(-1).clampedMilliseconds == 0)
        #expect(Duration.seconds(Int64.max / 10).clampedMilliseconds == Int32.max)
        #expect(Duration.seconds(Int64.max).milliseconds == Int64.max)
    }
}

@Suite struct RetryBackoffTests {
    @Test func doublesUpToTheMaximumWithoutJitterAtZero() {
        var backoff = RetryBackoff(initial: .milliseconds(50), maximum: .seconds(2), random: { 0 })
        let delays = (0..<8).map { _ in backoff.nextDelay() }
        #expect(delays == [50, 100, 200, 400, 800, 1600, 2000, 2000].map { Duration.milliseconds($0) })
        backoff.reset()
        #expect(backoff.nextDelay() == .milliseconds(50))
    }

    @Test func jitterTakesUpToItsFractionOff() {
        func near(_ a: Duration, _ b: Duration) -> Bool { a - b < .microseconds(1) && b - a < .microseconds(1) }
        var low = RetryBackoff(initial: .seconds(1), maximum: .seconds(1), jitter: 0.2, random: { 1 })
        #expect(near(low.nextDelay(), .milliseconds(800)))
        var half = RetryBackoff(initial: .seconds(1), maximum: .seconds(4), jitter: 0.5, random: { 0.5 })
        #expect(near(half.nextDelay(), .milliseconds(750)))
        #expect(near(half.nextDelay(), .milliseconds(1500)))
        var random = RetryBackoff.constant(.milliseconds(500))
        for _ in 0..<100 {
            let delay = random.nextDelay()
            #expect(delay > .milliseconds(400) && delay <= .milliseconds(500))
        }
    }
}
