import OrderStreamDomain

/// The JSON object of an action's request body, read strictly: a body that is not one JSON
/// object, a field of the wrong type and a field the action does not know are all 400s that
/// name the field (a typo such as `dryrun` must never be taken for "not a dry run").
struct ConsoleRequestBody: Sendable {
    /// Action bodies are small; anything larger is refused before it is parsed.
    static let maximumBytes = 64 * 1024

    private let fields: [String: JSONValue]

    init(_ bytes: [UInt8], allowed: Set<String>) throws(ConsoleError) {
        if bytes.isEmpty || bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            fields = [:]
            return
        }
        guard bytes.count <= Self.maximumBytes else {
            throw ConsoleError(.contentTooLarge, "the request body is larger than \(Self.maximumBytes) bytes")
        }
        let parsed: JSONValue
        do { parsed = try JSONParser.parse(bytes) } catch {
            throw ConsoleError(.badRequest, "the request body is not valid JSON: \(error)")
        }
        guard let object = parsed.objectValue else {
            throw ConsoleError(.badRequest, "the request body must be a JSON object, not \(parsed.typeName)")
        }
        let unknown = object.keys.filter { !allowed.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw ConsoleError(
                .badRequest,
                "unknown field\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", ")) (known: \(allowed.sorted().joined(separator: ", ")))"
            )
        }
        fields = object
    }

    func string(_ name: String) throws(ConsoleError) -> String? {
        guard let value = fields[name], value != .null else { return nil }
        guard let text = value.stringValue else {
            throw ConsoleError(.badRequest, "\(name) must be a string, not \(value.typeName)")
        }
        return text
    }

    func bool(_ name: String) throws(ConsoleError) -> Bool? {
        guard let value = fields[name], value != .null else { return nil }
        guard case .bool(let flag) = value else {
            throw ConsoleError(.badRequest, "\(name) must be true or false, not \(value.typeName)")
        }
        return flag
    }

    func integer(_ name: String, in range: ClosedRange<Int64>) throws(ConsoleError) -> Int64? {
        guard let value = fields[name], value != .null else { return nil }
        guard let number = value.integerValue, range.contains(number) else {
            throw ConsoleError(
                .badRequest, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    func strings(_ name: String) throws(ConsoleError) -> [String]? {
        guard let value = fields[name], value != .null else { return nil }
        guard let items = value.arrayValue else {
            throw ConsoleError(.badRequest, "\(name) must be an array of strings")
        }
        var texts: [String] = []
        for item in items {
            guard let text = item.stringValue else {
                throw ConsoleError(.badRequest, "\(name) must be an array of strings")
            }
            texts.append(text)
        }
        return texts
    }
}
