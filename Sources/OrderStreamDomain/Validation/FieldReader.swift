/// Typed access to the members of one JSON object, throwing `invalid_field` rejections whose
/// detail names the full field path (`data.items[1].quantity must be an integer`).
///
/// Every string read here (`string` and `id`) is also refused when it contains U+0000, which
/// PostgreSQL `text` cannot store (`data.items[0].sku must not contain the NUL character (U+0000)`).
///
/// Exists to keep `EventValidator` a readable list of fields instead of nested `guard case`s.
struct FieldReader {
    let fields: [String: JSONValue]
    /// Prefix for field names in details, e.g. `"data."` or `"data.items[1]."`.
    let path: String

    init(_ fields: [String: JSONValue], path: String) {
        self.fields = fields
        self.path = path
    }

    private func member(_ name: String, _ expected: String) throws(Rejection) -> JSONValue {
        guard let value = fields[name] else {
            throw Rejection(.invalidField, "\(path)\(name) is missing (must be \(expected))")
        }
        return value
    }

    func string(_ name: String) throws(Rejection) -> String {
        let value = try member(name, "a string")
        guard case .string(let text) = value else {
            throw Rejection(.invalidField, "\(path)\(name) must be a string, got \(value.typeName)")
        }
        try refuseNUL(name, text)
        return text
    }

    /// PostgreSQL `text` cannot hold U+0000, so no contract string may contain it.
    private func refuseNUL(_ name: String, _ text: String) throws(Rejection) {
        // The parser's strings are native and contiguous: one scan of the bytes, which the
        // generic `contains` of the UTF-8 view did not compile to (4% of the worker's CPU in a
        // `perf` profile of the benchmark's preload); the view remains the fallback.
        let hasNUL = text.utf8.withContiguousStorageIfAvailable { $0.firstIndex(of: 0) != nil } ?? text.utf8.contains(0)
        if hasNUL {
            throw Rejection(.invalidField, "\(path)\(name) must not contain the NUL character (U+0000)")
        }
    }

    /// A string of 1-64 Unicode scalars.
    func id(_ name: String) throws(Rejection) -> String {
        let value = try member(name, "a string of 1-\(EventValidator.maximumIdLength) characters")
        guard case .string(let text) = value else {
            throw Rejection(.invalidField, "\(path)\(name) must be a string, got \(value.typeName)")
        }
        let byteCount = text.utf8.count
        // Scalars never outnumber UTF-8 bytes, so short ids need no scalar count.
        let length = byteCount <= EventValidator.maximumIdLength ? byteCount : text.unicodeScalars.count
        guard length >= 1, length <= EventValidator.maximumIdLength else {
            throw Rejection(
                .invalidField,
                "\(path)\(name) must have 1-\(EventValidator.maximumIdLength) characters, has \(text.unicodeScalars.count)"
            )
        }
        try refuseNUL(name, text)
        return text
    }

    func integer(_ name: String) throws(Rejection) -> Int64 {
        let value = try member(name, "an integer")
        guard case .integer(let number) = value else {
            throw Rejection(.invalidField, "\(path)\(name) must be an integer, got \(value.typeName)")
        }
        return number
    }

    func object(_ name: String) throws(Rejection) -> FieldReader {
        let value = try member(name, "an object")
        guard case .object(let members) = value else {
            throw Rejection(.invalidField, "\(path)\(name) must be an object, got \(value.typeName)")
        }
        return FieldReader(members, path: path + name + ".")
    }

    func array(_ name: String) throws(Rejection) -> [JSONValue] {
        let value = try member(name, "an array")
        guard case .array(let elements) = value else {
            throw Rejection(.invalidField, "\(path)\(name) must be an array, got \(value.typeName)")
        }
        return elements
    }

    /// A short, safe rendering of an input value for a detail: strings quoted and cut to 40
    /// scalars, containers by type only.
    static func show(_ value: JSONValue) -> String {
        switch value {
        case .string(let text):
            let scalars = text.unicodeScalars
            if scalars.count <= 40 { return JSONWriter.quoted(text) }
            var cut = String.UnicodeScalarView()
            cut.append(contentsOf: scalars.prefix(40))
            return JSONWriter.quoted(String(cut)) + "..."
        case .integer(let number): return String(number)
        case .number(let lexeme): return lexeme.count <= 40 ? lexeme : String(lexeme.prefix(40)) + "..."
        case .bool(let flag): return flag ? "true" : "false"
        case .null: return "null"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
