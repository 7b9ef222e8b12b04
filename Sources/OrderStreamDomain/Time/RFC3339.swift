/// RFC 3339 timestamps <-> UTC microseconds since the Unix epoch, in pure Swift.
///
/// Exists because `occurred_at` must be validated for every event (Foundation's
/// `ISO8601DateFormatter` is slow and not `Sendable`) and because KPI windows need exact
/// minute arithmetic. Accepted form: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, `T`/`t` and
/// `Z`/`z` in either case, a zone is required.
///
/// Documented choices:
/// - fraction digits beyond the sixth are truncated (microsecond resolution);
/// - second `60` (a leap second) is accepted in any minute and, as in POSIX time, lands on the
///   first instant of the following minute;
/// - years 0000-9999, zone offsets up to ±23:59.
public enum RFC3339 {
    /// A parsed timestamp plus whether its text named a whole minute (seconds `00` and every
    /// fraction digit zero), which KPI window bounds require.
    public struct Timestamp: Sendable, Equatable {
        public var utcMicros: Int64
        public var isWholeMinuteAsWritten: Bool
    }

    /// Parses `text`; nil when it is not an RFC 3339 timestamp with a zone.
    public static func parse(_ text: String) -> Timestamp? {
        if let result = text.utf8.withContiguousStorageIfAvailable({ parse(bytes: $0) }) {
            return result
        }
        return Array(text.utf8).withUnsafeBufferPointer { parse(bytes: $0) }
    }

    /// Parses `text` to UTC microseconds; nil when it is not an RFC 3339 timestamp with a zone.
    public static func parseMicros(_ text: String) -> Int64? {
        parse(text)?.utcMicros
    }

    /// Parses UTF-8 bytes; nil when they are not an RFC 3339 timestamp with a zone.
    public static func parse(bytes b: UnsafeBufferPointer<UInt8>) -> Timestamp? {
        // Fixed part: "YYYY-MM-DDTHH:MM:SS" is 19 bytes, plus at least "Z".
        guard b.count >= 20 else { return nil }
        guard let year = digits(b, 0, 4), b[4] == UInt8(ascii: "-"),
            let month = digits(b, 5, 2), b[7] == UInt8(ascii: "-"),
            let day = digits(b, 8, 2),
            b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"),
            let hour = digits(b, 11, 2), b[13] == UInt8(ascii: ":"),
            let minute = digits(b, 14, 2), b[16] == UInt8(ascii: ":"),
            let second = digits(b, 17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month),
            hour < 24, minute < 60, second <= 60
        else { return nil }

        var index = 19
        var fractionMicros: Int64 = 0
        var fractionIsZero = true
        if b[index] == UInt8(ascii: ".") {
            index += 1
            let fractionStart = index
            var scale: Int64 = 100_000
            while index < b.count, let digit = digitValue(b[index]) {
                if scale > 0 {
                    fractionMicros += Int64(digit) * scale
                    scale /= 10
                }
                if digit != 0 { fractionIsZero = false }
                index += 1
            }
            if index == fractionStart { return nil }
        }

        guard index < b.count else { return nil }
        var offsetSeconds: Int64 = 0
        switch b[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign: Int64 = b[index] == UInt8(ascii: "+") ? 1 : -1
            guard index + 6 <= b.count,
                let offsetHour = digits(b, index + 1, 2), b[index + 3] == UInt8(ascii: ":"),
                let offsetMinute = digits(b, index + 4, 2),
                offsetHour < 24, offsetMinute < 60
            else { return nil }
            offsetSeconds = sign * Int64(offsetHour * 3600 + offsetMinute * 60)
            index += 6
        default:
            return nil
        }
        guard index == b.count else { return nil }

        let days = daysFromCivil(year: Int64(year), month: month, day: day)
        let localSeconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        let utcMicros = (localSeconds - offsetSeconds) * 1_000_000 + fractionMicros
        return Timestamp(utcMicros: utcMicros, isWholeMinuteAsWritten: second == 0 && fractionIsZero)
    }

    /// True when `micros` is the first instant of a UTC minute.
    public static func isWholeMinute(_ micros: Int64) -> Bool {
        floorMod(micros, 60_000_000) == 0
    }

    /// `2026-11-26T12:00:00.000Z`: UTC with millisecond precision (sub-millisecond truncated).
    public static func formatMillis(_ micros: Int64) -> String {
        let (days, microsOfDay) = floorDivMod(micros, 86_400_000_000)
        var out = formatDateAndMinute(days: days, microsOfDay: microsOfDay)
        let secondMicros = microsOfDay % 60_000_000
        out += ":"
        out += pad(secondMicros / 1_000_000, 2)
        out += "."
        out += pad((secondMicros % 1_000_000) / 1000, 3)
        out += "Z"
        return out
    }

    /// `2026-11-26T12:00:00Z`: the UTC minute containing `micros` (seconds truncated). This is
    /// still a valid RFC 3339 timestamp, so it can be fed back as a KPI window bound.
    public static func formatMinute(_ micros: Int64) -> String {
        let (days, microsOfDay) = floorDivMod(micros, 86_400_000_000)
        return formatDateAndMinute(days: days, microsOfDay: microsOfDay) + ":00Z"
    }

    // MARK: Calendar arithmetic (proleptic Gregorian, Howard Hinnant's algorithms)

    /// Days since 1970-01-01 of a civil date.
    public static func daysFromCivil(year: Int64, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date of a day count since 1970-01-01.
    public static func civilFromDays(_ days: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    public static func isLeapYear(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // MARK: Helpers

    private static func digitValue(_ byte: UInt8) -> Int? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int(byte - UInt8(ascii: "0")) : nil
    }

    private static func digits(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) -> Int? {
        var value = 0
        for index in start..<(start + count) {
            guard let digit = digitValue(b[index]) else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    private static func formatDateAndMinute(days: Int64, microsOfDay: Int64) -> String {
        let (year, month, day) = civilFromDays(days)
        let minuteOfDay = microsOfDay / 60_000_000
        return pad(year, 4) + "-" + pad(Int64(month), 2) + "-" + pad(Int64(day), 2)
            + "T" + pad(minuteOfDay / 60, 2) + ":" + pad(minuteOfDay % 60, 2)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value.magnitude)
        let padding = String(repeating: "0", count: max(0, width - text.count))
        return (value < 0 ? "-" : "") + padding + text
    }

    static func floorDivMod(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a / b
        let r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 {
        floorDivMod(a, b).1
    }
}
