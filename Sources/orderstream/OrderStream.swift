import ArgumentParser
import OrderStreamApp

/// The executable's entry point: argument parsing and the commands live in OrderStreamApp,
/// where tests can reach them.
@main
struct OrderStream: AsyncParsableCommand {
    static let configuration = OrderStreamCommand.configuration
}
