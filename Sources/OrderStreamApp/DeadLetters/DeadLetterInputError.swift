/// Input a dead-letter command refuses before it reads or publishes anything: malformed
/// coordinates, an unknown topic or reason, a bad rate, a broken fix file, a capped letter.
struct DeadLetterInputError: Error, CustomStringConvertible, Equatable {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
