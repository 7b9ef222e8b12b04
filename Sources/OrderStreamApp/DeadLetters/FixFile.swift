import OrderStreamDomain

/// The corrections of `dlq replay --fix FILE`: JSON lines, one per letter,
///
///     {"letter":"orders.dlq:0:5","event":{"event_id":"e-5","event_type":"order.created",...}}
///
/// `letter` is the letter's coordinates, `event` the corrected event as a JSON object, which
/// replaces the letter's value (written compactly, keys sorted; numbers keep their exact text).
/// Blank lines are skipped; anything else (another key, a letter twice, an event that is not an
/// object) is an error naming the line, and nothing is published.
enum FixFile {
    static func parse(_ bytes: [UInt8]) throws(DeadLetterInputError) -> [LetterCoordinates: [UInt8]] {
        var fixes: [LetterCoordinates: [UInt8]] = [:]
        var lineNumber = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }) {
                continue
            }
            let object: [String: JSONValue]
            do {
                guard let parsed = try JSONParser.parse(Array(line)).objectValue else {
                    throw DeadLetterInputError("fix file line \(lineNumber): not a JSON object")
                }
                object = parsed
            } catch let error as DeadLetterInputError {
                throw error
            } catch {
                throw DeadLetterInputError("fix file line \(lineNumber): not JSON (\(error))")
            }
            let unknown = Set(object.keys).subtracting(["letter", "event"])
            guard unknown.isEmpty else {
                throw DeadLetterInputError(
                    "fix file line \(lineNumber): unknown key(s) \(unknown.sorted().joined(separator: ", ")) (expected \"letter\" and \"event\")"
                )
            }
            guard let letterText = object["letter"]?.stringValue else {
                throw DeadLetterInputError(
                    "fix file line \(lineNumber): \"letter\" must be a string like \"orders.dlq:0:5\"")
            }
            let letter: LetterCoordinates
            do {
                letter = try LetterCoordinates(parsing: letterText)
            } catch {
                throw DeadLetterInputError("fix file line \(lineNumber): \(error.description)")
            }
            guard let event = object["event"], event.objectValue != nil else {
                throw DeadLetterInputError(
                    "fix file line \(lineNumber): \"event\" must be the corrected event as a JSON object")
            }
            guard fixes[letter] == nil else {
                throw DeadLetterInputError("fix file line \(lineNumber): \(letter) is fixed twice")
            }
            var writer = JSONWriter()
            writer.value(event)
            fixes[letter] = writer.bytes
        }
        return fixes
    }
}
