import Foundation
import PostgreSQL

/// The audit of operator commands that change state (`operations` table): offset resets,
/// pauses, resumes, dead-letter replays. `orderstream status` shows the latest entries.
public enum OperationsLog {
    /// One audited command.
    public struct Entry: Sendable, Equatable {
        public var id: Int64
        /// UTC, RFC 3339 with microseconds.
        public var at: String
        public var actor: String
        public var command: String
        public var arguments: String
        public var epoch: Int64?
        public var result: String
    }

    /// Records a command; `detail` is a JSON object (per-partition before and after, letters).
    /// Runs on `connection` as it is, so that inside a transaction it commits with the change.
    @discardableResult
    public static func record(
        group: String, actor: String, command: String, arguments: String, epoch: Int64?,
        result: String, detail: String = "{}", on connection: PGConnection
    ) throws(PGError) -> Int64 {
        let inserted = try connection.query(
            """
            INSERT INTO operations (consumer_group, actor, command, arguments, epoch, result, detail)
            VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING id
            """, [group, actor, command, arguments, epoch, result, detail])
        return try inserted.int64(0, "id")
    }

    /// The group's latest entries, newest first.
    public static func recent(group: String, limit: Int, on connection: PGConnection) throws(PGError) -> [Entry] {
        let rows = try connection.query(
            """
            SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at_text, actor, command,
                   arguments, epoch, result
            FROM operations WHERE consumer_group = $1 ORDER BY id DESC LIMIT $2
            """, [group, limit])
        var entries: [Entry] = []
        for row in 0..<rows.rowCount {
            entries.append(
                Entry(
                    id: try rows.int64(row, "id"), at: try rows.string(row, "at_text"),
                    actor: try rows.string(row, "actor"),
                    command: try rows.string(row, "command"), arguments: try rows.string(row, "arguments"),
                    epoch: try rows.decodeIfPresent(Int64.self, row: row, column: "epoch"),
                    result: try rows.string(row, "result")))
        }
        return entries
    }

    /// Who runs an operator command: `--actor` when given (must be non-empty printable text of
    /// at most 200 characters), else `$USER@host` (`unknown@host` without `$USER`).
    public static func actor(
        given: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    )
        -> Result<String, ActorError>
    {
        if let given {
            let trimmed = given.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, trimmed.count <= 200,
                !trimmed.unicodeScalars.contains(where: {
                    $0.properties.generalCategory == .control
                })
            else {
                return .failure(ActorError(given: given))
            }
            return .success(trimmed)
        }
        let user = environment["USER"] ?? environment["LOGNAME"] ?? "unknown"
        return .success("\(user)@\(ProcessInfo.processInfo.hostName)")
    }

    public struct ActorError: Error, CustomStringConvertible, Equatable {
        public var given: String
        public var description: String {
            "--actor must be 1 to 200 printable characters (got \(given.debugDescription))"
        }
    }
}
