import CLibPQ

/// The rows and status of one statement, copied out of libpq's `PGresult`.
///
/// It exists so no C memory outlives the call that produced it: the `PGresult` is read
/// once and cleared immediately, and this value is plain Swift data (Sendable, no deinit).
/// Values are kept in PostgreSQL's text format and decoded on access.
public struct PGResult: Sendable {
    /// Column names in order.
    public let columnNames: [String]
    /// Rows × columns, row-major; nil is SQL NULL.
    let values: [String?]
    /// Number of rows returned.
    public let rowCount: Int
    /// The command tag, e.g. `INSERT 0 3`, `SELECT 10`.
    public let commandTag: String
    /// Rows affected (PQcmdTuples) for INSERT/UPDATE/DELETE/SELECT/COPY/...; 0 when the
    /// command reports no count.
    public let affectedRows: Int
    private let columnIndexByName: [String: Int]

    public var columnCount: Int { columnNames.count }

    init(columnNames: [String], values: [String?], rowCount: Int, commandTag: String, affectedRows: Int) {
        self.columnNames = columnNames
        self.values = values
        self.rowCount = rowCount
        self.commandTag = commandTag
        self.affectedRows = affectedRows
        var index: [String: Int] = [:]
        for (position, name) in columnNames.enumerated() where index[name] == nil {
            index[name] = position
        }
        self.columnIndexByName = index
    }

    /// Copies everything out of `result`. Does not clear it (the caller does).
    init(copying result: OpaquePointer) {
        let rows = Int(PQntuples(result))
        let columns = Int(PQnfields(result))
        var names: [String] = []
        names.reserveCapacity(columns)
        for column in 0..<columns {
            names.append(PQfname(result, Int32(column)).map { String(cString: $0) } ?? "?column?")
        }
        var values: [String?] = []
        values.reserveCapacity(rows * columns)
        for row in 0..<rows {
            for column in 0..<columns {
                if PQgetisnull(result, Int32(row), Int32(column)) == 1 {
                    values.append(nil)
                } else {
                    values.append(String(cString: PQgetvalue(result, Int32(row), Int32(column))))
                }
            }
        }
        let tag = PQcmdStatus(result).map { String(cString: $0) } ?? ""
        let tuples = PQcmdTuples(result).map { String(cString: $0) } ?? ""
        self.init(
            columnNames: names, values: values, rowCount: rows, commandTag: tag,
            affectedRows: Int(tuples) ?? 0)
    }

    /// Position of a column by name.
    public func columnIndex(_ name: String) throws(PGError) -> Int {
        guard let index = columnIndexByName[name] else {
            throw PGError(
                kind: .decoding,
                message: "no column named \"\(name)\" (columns: \(columnNames.joined(separator: ", ")))")
        }
        return index
    }

    /// The raw text of a value; nil for NULL.
    public func text(_ row: Int, _ column: Int) throws(PGError) -> String? {
        guard row >= 0, row < rowCount else {
            throw PGError(kind: .decoding, message: "row \(row) out of range (\(rowCount) rows)")
        }
        guard column >= 0, column < columnCount else {
            throw PGError(kind: .decoding, message: "column \(column) out of range (\(columnCount) columns)")
        }
        return values[row * columnCount + column]
    }

    /// Decodes a value; nil for NULL. Throws `.decoding` naming the column on bad text.
    public func decodeIfPresent<T: PGDecodable>(_ type: T.Type = T.self, row: Int, column: Int) throws(PGError) -> T? {
        guard let text = try text(row, column) else { return nil }
        guard let value = T(pgText: text) else {
            throw PGError(
                kind: .decoding,
                message:
                    "column \"\(columnNames[column])\" row \(row): cannot decode \(T.self) from \"\(text.prefix(64))\"")
        }
        return value
    }

    /// Decodes a value; NULL throws `.decoding` naming the column.
    public func decode<T: PGDecodable>(_ type: T.Type = T.self, row: Int, column: Int) throws(PGError) -> T {
        guard let value = try decodeIfPresent(T.self, row: row, column: column) else {
            throw PGError(
                kind: .decoding,
                message:
                    "column \"\(columnNames[column])\" row \(row): NULL cannot be decoded as non-optional \(T.self)")
        }
        return value
    }

    public func decodeIfPresent<T: PGDecodable>(_ type: T.Type = T.self, row: Int, column: String) throws(PGError) -> T?
    {
        try decodeIfPresent(T.self, row: row, column: try columnIndex(column))
    }

    public func decode<T: PGDecodable>(_ type: T.Type = T.self, row: Int, column: String) throws(PGError) -> T {
        try decode(T.self, row: row, column: try columnIndex(column))
    }

    /// `try result[0, "name"] as String?`: NULL is nil; bad text throws.
    public subscript<T: PGDecodable>(row: Int, column: String) -> T? {
        get throws(PGError) { try decodeIfPresent(T.self, row: row, column: column) }
    }

    /// `try result[0, 1] as Int64?`: NULL is nil; bad text throws.
    public subscript<T: PGDecodable>(row: Int, column: Int) -> T? {
        get throws(PGError) { try decodeIfPresent(T.self, row: row, column: column) }
    }

    // Non-optional shorthands: NULL throws.
    public func string(_ row: Int, _ column: String) throws(PGError) -> String { try decode(row: row, column: column) }
    public func int(_ row: Int, _ column: String) throws(PGError) -> Int { try decode(row: row, column: column) }
    public func int32(_ row: Int, _ column: String) throws(PGError) -> Int32 { try decode(row: row, column: column) }
    public func int64(_ row: Int, _ column: String) throws(PGError) -> Int64 { try decode(row: row, column: column) }
    public func bool(_ row: Int, _ column: String) throws(PGError) -> Bool { try decode(row: row, column: column) }
    public func double(_ row: Int, _ column: String) throws(PGError) -> Double { try decode(row: row, column: column) }
    public func string(_ row: Int, _ column: Int) throws(PGError) -> String { try decode(row: row, column: column) }
    public func int(_ row: Int, _ column: Int) throws(PGError) -> Int { try decode(row: row, column: column) }
    public func int32(_ row: Int, _ column: Int) throws(PGError) -> Int32 { try decode(row: row, column: column) }
    public func int64(_ row: Int, _ column: Int) throws(PGError) -> Int64 { try decode(row: row, column: column) }
    public func bool(_ row: Int, _ column: Int) throws(PGError) -> Bool { try decode(row: row, column: column) }
    public func double(_ row: Int, _ column: Int) throws(PGError) -> Double { try decode(row: row, column: column) }
}
