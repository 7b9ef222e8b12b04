import ArgumentParser

/// `orderstream dlq show <topic>:<partition>:<offset>`: one letter in full.
struct DeadLetterShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract:
            "Shows one dead letter: headers, why it was rejected, and its value (pretty-printed when JSON, else escaped)."
    )

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The letter, as TOPIC:PARTITION:OFFSET (e.g. orders.dlq:0:5).")
    var letter: String

    func validate() throws {
        _ = try coordinates()
    }

    private func coordinates() throws -> LetterCoordinates {
        do { return try LetterCoordinates(parsing: letter) } catch { throw ValidationError(error.description) }
    }

    func run() async throws {
        let coordinates = try coordinates()
        let configuration = try options.configuration()
        let logger = ProcessLogging.logger(configuration, label: "orderstream.dlq")
        guard
            let found = try await DeadLetterInbox.letter(at: coordinates, configuration: configuration, logger: logger)
        else {
            throw DeadLetterInputError("there is no dead letter at \(coordinates)")
        }
        print(DeadLetterRendering.detail(found))
    }
}
