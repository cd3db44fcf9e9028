import EPCIS
import Foundation
import TransparencyLog

/// One ledger record: its sequence number, when it was recorded, the leaf hash of the record before
/// it (the hash chain), and a DSSE envelope. `Specs/03-statements.md` §Record gives the bytes:
///
///     threadline/record/v1
///     seq <decimal>
///     time <YYYY-MM-DDTHH:MM:SS.mmmZ>
///     prev <base64 of 32 bytes>
///     <canonical envelope JSON>
///
/// each line ending in a newline. The bytes are produced once, when the record is appended, and
/// from then on stored, hashed and verified as they are.
public struct LedgerRecord: Sendable, Equatable {
    /// The first line of every record.
    public static let header = "threadline/record/v1"
    /// The largest record, in bytes: 64 KiB − 1, the most a tlog-tiles entry bundle can frame.
    public static let maxBytes = 65_535

    /// The zero-based position in the log.
    public let seq: Int64
    /// When the ledger recorded it, in milliseconds since the Unix epoch (UTC).
    public let timeMillis: Int64
    /// The leaf hash of record `seq − 1`; all zeros for record 0.
    public let prev: Hash
    /// The signed statement.
    public let envelope: Envelope

    /// Creates a record.
    public init(seq: Int64, timeMillis: Int64, prev: Hash, envelope: Envelope) {
        self.seq = seq
        self.timeMillis = timeMillis
        self.prev = prev
        self.envelope = envelope
    }

    /// Bytes a record adds around its envelope, at most: header, a 19-digit `seq`, `time`, `prev`, newlines.
    public static let maxFramingBytes = 126
    /// The largest canonical envelope a record can hold.
    public static let maxEnvelopeBytes = maxBytes - maxFramingBytes

    /// The record's bytes; throws when they would exceed `maxBytes`.
    public func encoded() throws -> [UInt8] {
        try LedgerRecord.encode(seq: seq, timeMillis: timeMillis, prev: prev, envelopeJSON: envelope.canonicalJSON)
    }

    /// A record's bytes from an already-encoded canonical envelope (the append path encodes it once).
    public static func encode(seq: Int64, timeMillis: Int64, prev: Hash, envelopeJSON: [UInt8]) throws -> [UInt8] {
        try encode(seq: seq, time: Time(millis: timeMillis), prev: prev, envelopeJSON: envelopeJSON)
    }

    /// A record's time, checked and written out once for all the records appended at that time.
    public struct Time: Sendable {
        /// The `time` line's value.
        let text: [UInt8]

        public init(millis: Int64) throws {
            guard (0...Timestamp.maxMillis).contains(millis) else {
                throw StatementError(
                    .recordTime, "time \(millis) ms is outside 1970-01-01…9999-12-31 (is the clock right?)")
            }
            var text: [UInt8] = []
            Timestamp.write(millis: millis, into: &text)
            self.text = text
        }
    }

    /// `encode(seq:timeMillis:prev:envelopeJSON:)` at a time already written out.
    public static func encode(seq: Int64, time: Time, prev: Hash, envelopeJSON: [UInt8]) throws -> [UInt8] {
        guard seq >= 0 else { throw StatementError(.recordSeq, "a sequence number is not negative") }
        var out: [UInt8] = []
        out.reserveCapacity(envelopeJSON.count + maxFramingBytes)
        out += header.utf8
        // Written piece by piece: an interpolated string this long would be a heap allocation a record.
        out += "\nseq ".utf8
        out += String(seq).utf8
        out += "\ntime ".utf8
        out += time.text
        out += "\nprev ".utf8
        Base64.append(prev.bytes, to: &out)
        out.append(0x0A)
        out += envelopeJSON
        out.append(0x0A)
        guard out.count <= maxBytes else {
            throw StatementError(
                .recordSize, "the record would be \(out.count) bytes; the limit is \(maxBytes) (64 KiB − 1)")
        }
        return out
    }

    /// Parses a record's bytes strictly: any deviation from the format is an error.
    public init(bytes: some Collection<UInt8>) throws {
        try self.init(bytes: Array(bytes))
    }

    /// Parses a record's bytes strictly: any deviation from the format is an error.
    public init(bytes: [UInt8]) throws {
        guard bytes.count <= LedgerRecord.maxBytes else {
            throw StatementError(
                .recordSize, "the record is \(bytes.count) bytes; the limit is \(LedgerRecord.maxBytes)")
        }
        // The five lines, found with memchr (the envelope's line is the rest, less the final newline).
        var lines: [ArraySlice<UInt8>] = []
        lines.reserveCapacity(5)
        bytes.withUnsafeBufferPointer { buffer in
            var start = 0
            while lines.count < 4, start < buffer.count,
                let newline = memchr(buffer.baseAddress! + start, 0x0A, buffer.count - start)
            {
                let end = UnsafeRawPointer(newline) - UnsafeRawPointer(buffer.baseAddress!)
                lines.append(bytes[start..<end])
                start = end + 1
            }
            if lines.count == 4 { lines.append(bytes[start..<max(start, buffer.count - 1)]) }
        }
        guard lines.count == 5, bytes.last == 0x0A else {
            throw StatementError(.recordLines, "a record has five newline-terminated lines")
        }
        guard lines[0].elementsEqual(LedgerRecord.header.utf8) else {
            throw StatementError(.recordHeader, "the record does not start with '\(LedgerRecord.header)'")
        }
        let seq = try LedgerRecord.field("seq", lines[1], .recordSeq)
        guard seq.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), seq.count == 1 || seq.first != 0x30,
            let number = Int64(String(decoding: seq, as: UTF8.self))
        else {
            throw StatementError(
                .recordSeq, "'seq \(String(decoding: seq, as: UTF8.self))' is not a decimal without leading zeros")
        }
        let timeBytes = try LedgerRecord.field("time", lines[2], .recordTime)
        guard let time = timeBytes.withUnsafeBufferPointer(Timestamp.parse(millis:)) else {
            throw StatementError(.recordTime, "the record's time is not YYYY-MM-DDTHH:MM:SS.mmmZ")
        }
        guard let prevBytes = Base64.decodeCanonical(try LedgerRecord.field("prev", lines[3], .recordPrev)),
            let prev = Hash(bytes: prevBytes)
        else { throw StatementError(.recordPrev, "the record's prev is not base64 of 32 bytes") }
        let envelope = try Envelope(canonical: lines[4])
        self.init(seq: number, timeMillis: time, prev: prev, envelope: envelope)
    }

    /// The bytes after `name` and a space, which the line must start with.
    /// The field's code is `record.` and its name.
    private static func field(
        _ name: StaticString, _ line: ArraySlice<UInt8>, _ code: StatementCode
    ) throws -> ArraySlice<UInt8> {
        let prefix = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        guard line.starts(with: prefix), line.dropFirst(prefix.count).first == UInt8(ascii: " ") else {
            throw StatementError(code, "the record has no '\(name) ' line where expected")
        }
        return line.dropFirst(prefix.count + 1)
    }
}
