import Foundation
/// xsd:dateTime as EPCIS 2.0 writes times (`eventTime`, `recordTime`, sensor times): `YYYY-MM-DDThh:mm:ss`,
/// an optional fraction, and a zone (`Z` or `±hh:mm`).
extension Timestamp {
    /// A parsed time: microseconds since the epoch in UTC, and the zone offset in minutes as written.
    public struct DateTime: Sendable, Hashable {
        public let micros: Int64
        /// Nil when the text had no zone.
        public let offsetMinutes: Int?

        /// Milliseconds since the epoch, rounded half to even (the CBV 2.0 event hash's rounding).
        public var millis: Int64 {
            let (ms, rest) = (micros.floorDivided(by: 1000), micros - micros.floorDivided(by: 1000) * 1000)
            if rest > 500 || (rest == 500 && ms % 2 != 0) { return ms + 1 }
            return ms
        }
    }

    /// Parses an xsd:dateTime. With `requireZone` (EPCIS validation) a time without `Z` or an offset is nil;
    /// without it (the event hash) such a time is read as UTC. Fractions beyond microseconds are truncated.
    /// A time whose UTC value, in milliseconds, is outside `Timestamp.millisRange` (years 0000–9999) is nil:
    /// `0000-01-01T00:00:00+00:01` is a minute before year 0000 in UTC, and the event hash writes UTC years
    /// with four digits (`Specs/08-epcis.md` §Times).
    public static func parseDateTime(_ text: String, requireZone: Bool = true) -> DateTime? {
        var text = text
        return text.withUTF8 { parseDateTime($0, requireZone: requireZone) }
    }

    /// Parses an xsd:dateTime from its UTF-8 bytes (see `parseDateTime(_:requireZone:)`).
    public static func parseDateTime(_ b: UnsafeBufferPointer<UInt8>, requireZone: Bool = true) -> DateTime? {
        // A cursor, not local functions that capture the position: a captured variable is boxed, each use checked.
        var c = Cursor(b: b)
        guard let year = c.number(4), c.expect(0x2D), let month = c.number(2), c.expect(0x2D), let day = c.number(2),
            c.expect(0x54) || c.expect(0x74), let hour = c.number(2), c.expect(0x3A), let minute = c.number(2),
            c.expect(0x3A),
            let second = c.number(2), (1...12).contains(month), hour < 24, minute < 60, second < 60
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        guard civil(fromDays: days) == (year, month, day) else { return nil }
        var micros: Int64 = 0
        if c.expect(0x2E) {
            var digits = 0
            while c.i < b.count, b[c.i] >= 0x30 && b[c.i] <= 0x39 {
                if digits < 6 { micros = micros * 10 + Int64(b[c.i] - 0x30) }
                digits += 1
                c.i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 6) { micros *= 10 }
        }
        var offset: Int?
        if c.expect(0x5A) || c.expect(0x7A) {
            offset = 0
        } else if c.i < b.count, b[c.i] == 0x2B || b[c.i] == 0x2D {
            let sign: Int64 = b[c.i] == 0x2D ? -1 : 1
            c.i += 1
            guard let hours = c.number(2), c.expect(0x3A), let minutes = c.number(2), hours <= 14, minutes < 60 else {
                return nil
            }
            offset = Int(sign * (hours * 60 + minutes))
        } else if requireZone {
            return nil
        }
        guard c.i == b.count else { return nil }
        let local = ((days * 24 + hour) * 60 + minute) * 60 + second
        let utc = local - Int64(offset ?? 0) * 60
        let time = DateTime(micros: utc * 1_000_000 + micros, offsetMinutes: offset)
        guard Timestamp.millisRange.contains(time.millis) else { return nil }
        return time
    }

    /// A position in bytes being parsed.
    private struct Cursor {
        let b: UnsafeBufferPointer<UInt8>
        var i = 0

        /// The next `width` bytes as a decimal number; nil unless all are digits.
        mutating func number(_ width: Int) -> Int64? {
            guard i + width <= b.count else { return nil }
            var value: Int64 = 0
            for j in i..<i + width {
                guard b[j] >= 0x30 && b[j] <= 0x39 else { return nil }
                value = value * 10 + Int64(b[j] - 0x30)
            }
            i += width
            return value
        }

        /// Whether the next byte is `byte`; if so, it is read.
        mutating func expect(_ byte: UInt8) -> Bool {
            guard i < b.count, b[i] == byte else { return false }
            i += 1
            return true
        }
    }

    /// Parses a zone offset as EPCIS writes `eventTimeZoneOffset`: `±hh:mm`, at most ±14:00.
    public static func parseOffset(_ text: String) -> Int? {
        var text = text
        return text.withUTF8 { b in
            func digit(_ i: Int) -> Int? { b[i] >= 0x30 && b[i] <= 0x39 ? Int(b[i] - 0x30) : nil }
            guard b.count == 6, b[0] == 0x2B || b[0] == 0x2D, b[3] == 0x3A, let h1 = digit(1), let h2 = digit(2),
                let m1 = digit(4), let m2 = digit(5)
            else { return nil }
            let hours = h1 * 10 + h2
            let minutes = m1 * 10 + m2
            guard minutes < 60, hours * 60 + minutes <= 14 * 60 else { return nil }
            return (b[0] == 0x2D ? -1 : 1) * (hours * 60 + minutes)
        }
    }
}

extension Timestamp {
    /// `format(millis:)` of a time in microseconds since the epoch, its fraction of a millisecond dropped; nil
    /// outside years 0000–9999.
    public static func format(micros: Int64) -> String? {
        let millis = micros.floorDivided(by: 1000)
        return millisRange.contains(millis) ? format(millis: millis) : nil
    }

    /// Now, in microseconds since the epoch.
    public static var nowMicros: Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000) }
}

extension Int64 {
    func floorDivided(by divisor: Int64) -> Int64 {
        let q = self / divisor
        return self % divisor < 0 ? q - 1 : q
    }
}
