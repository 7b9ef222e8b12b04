import Foundation
import Testing

@testable import OrderStreamApp

/// The color and the rebalance protocol are enums from the file, the environment and the flags
/// on: a bad value is refused with the message it always had, naming where it came from.
struct ConfigurationChoiceTests {
    static func error(_ load: () throws -> Void) -> String? {
        do {
            try load()
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func aBadColorOrProtocolInTheFileIsNamed() throws {
        let color = try ConfigurationLoaderTests.file("color: purple\n")
        #expect(
            Self.error { _ = try ConfigurationLoader(environment: [:]).load(configPath: color) }
                == "\(color): color: 'purple' is not one of blue, green")
        let rebalance = try ConfigurationLoaderTests.file("worker:\n  rebalance_protocol: sticky\n")
        #expect(
            Self.error { _ = try ConfigurationLoader(environment: [:]).load(configPath: rebalance) }
                == "\(rebalance): worker.rebalance_protocol: 'sticky' is not one of cooperative, eager")
    }

    @Test func aBadColorOrProtocolInTheEnvironmentIsNamed() {
        #expect(
            Self.error {
                _ = try ConfigurationLoader(environment: ["ORDERSTREAM_COLOR": "purple"]).load(configPath: nil)
            }
                == "ORDERSTREAM_COLOR: 'purple' is not one of blue, green")
        #expect(
            Self.error {
                _ = try ConfigurationLoader(environment: ["ORDERSTREAM_REBALANCE_PROTOCOL": "sticky"]).load(
                    configPath: nil)
            } == "ORDERSTREAM_REBALANCE_PROTOCOL: 'sticky' is not one of cooperative, eager")
        #expect(
            Self.error { _ = try ConfigurationLoader.color("Purple", "--color") }
                == "--color: 'Purple' is not one of blue, green")
    }

    @Test func colorsAndProtocolsAreReadWhateverTheirCase() throws {
        let c = try ConfigurationLoader(environment: [
            "ORDERSTREAM_COLOR": "GREEN", "ORDERSTREAM_REBALANCE_PROTOCOL": "Eager",
        ]).load(configPath: nil)
        #expect(c.color == .green && c.rebalanceProtocol == .eager)
        #expect(try ConfigurationLoader.color("Blue", "--color") == .blue)
    }
}
