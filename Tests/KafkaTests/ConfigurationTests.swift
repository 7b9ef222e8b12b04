import OrderStreamTestSupport
import Testing

@testable import Kafka

extension KafkaTests {
    /// librdkafka's refusals surface as typed errors naming the property, without secrets.
    @Suite struct ConfigurationTests {
        @Test func unknownPropertyIsNamed() {
            #expect(throws: KafkaError.self) {
                _ = try KafkaProducer(configuration: ["no.such.property": "1"], logger: TestEnvironment.logger("cfg"))
            }
            do {
                _ = try KafkaProducer(configuration: ["no.such.property": "1"], logger: TestEnvironment.logger("cfg"))
            } catch {
                guard case .invalidConfiguration(let property, let value, let message) = error else {
                    Issue.record("unexpected error \(error)")
                    return
                }
                #expect(property == "no.such.property")
                #expect(value == "1")
                #expect(!message.isEmpty)
                #expect(error.description.contains("no.such.property"))
            }
        }

        @Test func badValueIsNamed() {
            do {
                _ = try KafkaConsumer(
                    configuration: ["group.id": "g", "acks": "maybe"], logger: TestEnvironment.logger("cfg"))
                Issue.record("acks=maybe was accepted")
            } catch {
                #expect(error == .invalidConfiguration(property: "acks", value: "maybe", message: messageOf(error)))
                #expect(error.description.contains("acks=maybe"))
            }
        }

        @Test func secretValuesAreMasked() {
            let secret = "bogus-secret-value-42"
            do {
                _ = try KafkaProducer(
                    configuration: ["sasl.oauthbearer.method": secret], logger: TestEnvironment.logger("cfg"))
                Issue.record("bad sasl.oauthbearer.method was accepted")
            } catch {
                guard case .invalidConfiguration(let property, let value, _) = error else {
                    Issue.record("unexpected error \(error)")
                    return
                }
                #expect(property == "sasl.oauthbearer.method")
                #expect(value == "***")
                #expect(!error.description.contains(secret))
                #expect(!String(reflecting: error).contains(secret))
            }
            let configuration: KafkaConfiguration = ["sasl.password": "hunter2", "client.id": "x"]
            #expect(!configuration.description.contains("hunter2"))
            #expect(configuration.description.contains("client.id=x"))
        }

        /// `acks=1` is a valid value but conflicts with the default idempotence, which
        /// `rd_kafka_new` (not `conf_set`) refuses: the conf must be destroyed, and the
        /// error says why. Proves idempotence is on by default.
        @Test func idempotenceIsTheDefault() {
            do {
                _ = try KafkaProducer(configuration: ["acks": "1"], logger: TestEnvironment.logger("cfg"))
                Issue.record("acks=1 with default idempotence was accepted")
            } catch {
                guard case .clientCreation(let message) = error else {
                    Issue.record("unexpected error \(error)")
                    return
                }
                #expect(message.contains("idempotence"))
            }
            // The caller may override the default.
            #expect(throws: Never.self) {
                let producer = try KafkaProducer(
                    configuration: ["acks": "1", "enable.idempotence": "false"], logger: TestEnvironment.logger("cfg"))
                producer.close()
            }
        }

        @Test func orderIsKept() {
            var configuration: KafkaConfiguration = ["b": "1", "a": "2"]
            configuration["c"] = "3"
            configuration["b"] = "4"
            configuration["a"] = nil
            #expect(configuration.properties.map(\.property) == ["b", "c"])
            #expect(configuration["b"] == "4")
        }

        private func messageOf(_ error: KafkaError) -> String {
            if case .invalidConfiguration(_, _, let message) = error { return message }
            return ""
        }
    }
}
