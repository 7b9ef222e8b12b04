import ArgumentParser
import OrderStreamDomain
import OrderStreamWorker

/// `--to-offset N | --to-time TIMESTAMP | --shift N`: exactly one.
struct ResetTarget: ParsableArguments, Sendable {
    @Option(
        name: .customLong("to-offset"), parsing: .unconditional, help: "Move to this offset (the next event to apply).")
    var toOffset: Int64?

    @Option(
        name: .customLong("to-time"),
        help:
            "Move to the first event whose Kafka timestamp is at or after this RFC 3339 time (e.g. 2026-12-02T10:00:00Z)."
    )
    var toTime: String?

    @Option(
        parsing: .unconditional,
        help: "Move by N events: negative reads events again (they are skipped as duplicates), positive skips them.")
    var shift: Int64?

    func validate() throws {
        let given = [toOffset != nil, toTime != nil, shift != nil].filter { $0 }.count
        guard given == 1 else { throw ValidationError("give exactly one of --to-offset, --to-time and --shift") }
        if let toOffset, toOffset < 0 { throw ValidationError("--to-offset must be 0 or more, not \(toOffset)") }
        if let toTime, RFC3339.parseMicros(toTime) == nil {
            throw ValidationError("--to-time must be an RFC 3339 time such as 2026-12-02T10:00:00Z, not '\(toTime)'")
        }
    }

    var target: OffsetResetPlan.Target {
        if let toOffset { return .offset(toOffset) }
        if let shift { return .shift(shift) }
        let micros = toTime.flatMap(RFC3339.parseMicros) ?? 0
        return .time(millisecondsSince1970: micros / 1000)
    }

    var describe: String {
        if let toOffset { return "--to-offset \(toOffset)" }
        if let shift { return "--shift \(shift)" }
        return "--to-time \(toTime ?? "")"
    }
}
