import Foundation
import TransparencyLog

/// RFC 3339 UTC timestamps with milliseconds, without Foundation's formatters (pure and fast).
public enum Timestamp {
    /// 9999-12-31T23:59:59.999Z, the last time the record format can hold.
    public static let maxMillis: Int64 = 253_402_300_799_999
    /// 0000-01-01T00:00:00.000Z, the first time with a four-digit year.
    public static let minMillis: Int64 = -62_167_219_200_000
    /// The times `format(millis:)` writes: years 0000–9999 (a ledger record's time is further held to 1970 on).
    public static let millisRange = minMillis...maxMillis

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` for a time in milliseconds since the epoch (years 0000–9999).
    public static func format(millis: Int64) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(24)
        write(millis: millis, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `format(millis:)`'s text to `out`, without making a string.
    public static func write(millis: Int64, into out: inout [UInt8]) {
        // Every caller passes a time read by `parse(millis:)` or `parseDateTime` (both held to `millisRange`) or a
        // record's time (checked against it before writing): a time outside it is a bug here, not bad input.
        precondition(millisRange.contains(millis), "a time outside years 0000-9999 reached the timestamp writer")
        let (days, msOfDay) = millis.floorDiv(86_400_000)
        let (year, month, day) = civil(fromDays: days)
        let seconds = msOfDay / 1000
        func digits(_ value: Int64, _ width: Int) {
            var value = value
            let end = out.count + width
            out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width))
            for i in stride(from: end - 1, through: end - width, by: -1) {
                out[i] = 0x30 + UInt8(value % 10)
                value /= 10
            }
        }
        digits(year, 4)
        out.append(UInt8(ascii: "-"))
        digits(month, 2)
        out.append(UInt8(ascii: "-"))
        digits(day, 2)
        out.append(UInt8(ascii: "T"))
        digits(seconds / 3600, 2)
        out.append(UInt8(ascii: ":"))
        digits(seconds / 60 % 60, 2)
        out.append(UInt8(ascii: ":"))
        digits(seconds % 60, 2)
        out.append(UInt8(ascii: "."))
        digits(msOfDay % 1000, 3)
        out.append(UInt8(ascii: "Z"))
    }

    /// Parses exactly `YYYY-MM-DDTHH:MM:SS.mmmZ`; nil for anything else or an impossible date.
    public static func parse(millis text: String) -> Int64? {
        var text = text
        return text.withUTF8(parse(millis:))
    }

    /// Parses exactly `YYYY-MM-DDTHH:MM:SS.mmmZ` from bytes.
    public static func parse(millis b: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard b.count == 24, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54, b[13] == 0x3A, b[16] == 0x3A,
            b[19] == 0x2E, b[23] == 0x5A
        else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for i in range {
                guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }
                value = value * 10 + Int64(b[i] - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            let ms = number(20..<23), (1...12).contains(month), hour < 24, minute < 60, second < 60
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        guard civil(fromDays: days) == (year, month, day) else { return nil }
        return ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + ms
    }

    // Howard Hinnant's days-from-civil and civil-from-days (proleptic Gregorian calendar).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Int64 {
    /// Floor division and the non-negative remainder.
    fileprivate func floorDiv(_ divisor: Int64) -> (Int64, Int64) {
        let q = self / divisor
        let r = self % divisor
        return r < 0 ? (q - 1, r + divisor) : (q, r)
    }
}
