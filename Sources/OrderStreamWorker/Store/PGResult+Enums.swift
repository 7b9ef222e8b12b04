import OrderStreamDomain
import PostgreSQL

extension PGResult {
    /// A color column (`active_color`, `owner_color`, ...), read into the domain's enum at the
    /// edge. The schema's CHECK constraints (or the only writer, the worker or the cutover) allow
    /// only blue and green, so anything else is a decoding error, reported like any other column
    /// of the wrong type.
    func color(_ row: Int, _ column: String) throws(PGError) -> DeploymentColor {
        try value(row, column)
    }

    /// A text column read into an enum of its values; anything else is a decoding error.
    func value<T: RawRepresentable>(_ row: Int, _ column: String) throws(PGError) -> T where T.RawValue == String {
        let text = try string(row, column)
        guard let value = T(rawValue: text) else {
            throw PGError(kind: .decoding, message: "column \(column): '\(text)' is not a \(T.self)")
        }
        return value
    }
}
