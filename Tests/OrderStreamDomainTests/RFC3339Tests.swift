import OrderStreamLoadGen
import Testing

@testable import OrderStreamDomain

@Suite("RFC3339")
struct RFC3339Tests {
    let noon = Int64(1_795_694_400) * 1_000_000  // 2026-11-26T12:00:00Z

    @Test("zones, case and fractions")
    func parsing() {
        #expect(RFC3339.parseMicros("2026-11-26T12:00:00Z") == noon)
        #expect(RFC3339.parseMicros("2026-11-26t12:00:00z") == noon)
        #expect(RFC3339.parseMicros("2026-11-26T12:00:00.000Z") == noon)
        #expect(RFC3339.parseMicros("2026-11-26T13:30:00+01:30") == noon)
        #expect(RFC3339.parseMicros("2026-11-26T07:00:00-05:00") == noon)
        #expect(RFC3339.parseMicros("2026-11-26T12:00:00-00:00") == noon)
        #expect(RFC3339.parseMicros("2026-11-26T12:00:00.1Z") == noon + 100_000)
        #expect(RFC3339.parseMicros("2026-11-26T12:00:00.123456Z") == noon + 123_456)
        #expect(RFC3339.parseMicros("2026-11-26T12:00:00.1234569Z") == noon + 123_456)  // truncated
        #expect(RFC3339.parseMicros("1970-01-01T00:00:00Z") == 0)
        #expect(RFC3339.parseMicros("1969-12-31T23:59:59.5Z") == -500_000)
        #expect(RFC3339.parseMicros("2026-11-26T23:59:60Z") == noon + 12 * 3_600_000_000)  // leap second folds forward
    }

    @Test("invalid dates and forms are rejected")
    func invalid() {
        for text in [
            "2026-02-30T00:00:00Z", "2026-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z", "2026-04-31T00:00:00Z", "2026-11-00T00:00:00Z", "2026-11-26T24:00:00Z",
            "2026-11-26T12:60:00Z", "2026-11-26T12:00:61Z", "2026-11-26T12:00:00", "2026-11-26 12:00:00Z",
            "2026-11-26T12:00:00.Z", "2026-11-26T12:00Z", "2026-11-26T12:00:00+0100", "2026-11-26T12:00:00+24:00",
            "2026-11-26T12:00:00+01:60", "2026-11-26T12:00:00ZZ", "26-11-26T12:00:00Z", "yesterday", "",
            "2026-11-26T12:00:00 Z", "+2026-11-26T12:00:00Z", "2026-1-26T12:00:00Z",
        ] {
            #expect(RFC3339.parseMicros(text) == nil, "\(text)")
        }
        #expect(RFC3339.parseMicros("2024-02-29T00:00:00Z") != nil)
        #expect(RFC3339.parseMicros("2000-02-29T00:00:00Z") != nil)
    }

    @Test("format and round trip")
    func formatting() {
        #expect(RFC3339.formatMillis(noon) == "2026-11-26T12:00:00.000Z")
        #expect(RFC3339.formatMillis(noon + 123_999) == "2026-11-26T12:00:00.123Z")
        #expect(RFC3339.formatMillis(-1) == "1969-12-31T23:59:59.999Z")
        #expect(RFC3339.formatMinute(noon + 59_999_999) == "2026-11-26T12:00:00Z")
        #expect(RFC3339.formatMinute(-1) == "1969-12-31T23:59:00Z")
        var rng = SplitMix64(seed: 7)
        for _ in 0..<5_000 {
            // Anywhere in years 1900-2200, millisecond precision.
            let micros = (Int64(bitPattern: rng.next() % 9_000_000_000_000) - 2_208_988_800_000) * 1000
            #expect(RFC3339.parseMicros(RFC3339.formatMillis(micros)) == micros)
            let minute = RFC3339.parseMicros(RFC3339.formatMinute(micros))
            #expect(minute.map { RFC3339.isWholeMinute($0) && $0 <= micros && micros - $0 < 60_000_000 } == true)
        }
    }

    @Test("calendar arithmetic agrees with a day-by-day walk")
    func calendar() {
        var days: Int64 = RFC3339.daysFromCivil(year: 1999, month: 12, day: 31)
        for year in 2000...2401 {
            for month in 1...12 {
                for day in 1...RFC3339.daysInMonth(year: year, month: month) {
                    days += 1
                    #expect(RFC3339.daysFromCivil(year: Int64(year), month: month, day: day) == days)
                    let civil = RFC3339.civilFromDays(days)
                    if civil.year != Int64(year) || civil.month != month || civil.day != day {
                        Issue.record("civilFromDays(\(days)) = \(civil), expected \(year)-\(month)-\(day)")
                    }
                }
            }
        }
        #expect(RFC3339.daysFromCivil(year: 1970, month: 1, day: 1) == 0)
    }

    @Test("whole minutes")
    func wholeMinute() {
        #expect(RFC3339.isWholeMinute(noon))
        #expect(!RFC3339.isWholeMinute(noon + 1))
        #expect(RFC3339.isWholeMinute(-60_000_000))
        #expect(!RFC3339.isWholeMinute(-1))
        #expect(RFC3339.parse("2026-11-26T12:00:00.000Z")?.isWholeMinuteAsWritten == true)
        #expect(RFC3339.parse("2026-11-26T12:00:00.0000001Z")?.isWholeMinuteAsWritten == false)
        #expect(RFC3339.parse("2026-11-26T12:00:01Z")?.isWholeMinuteAsWritten == false)
    }
}
