import EPCIS
import FuzzSupport
import Statements

/// `LedgerRecord(bytes:)`, the strict reader of stored records (`Specs/03-statements.md` §Record). Records are
/// hashed as stored, so the reader takes one spelling only: whatever it accepts is exactly the spec's five lines
/// written from what it read. The writer (`encoded()`) must give the same bytes for any time it accepts; it refuses
/// times before 1970 (a clock check when appending), which the format and the reader allow (years 0000–9999).
@main
enum FuzzLedgerRecord: FuzzTarget {
    static func fuzz(_ input: FuzzInput) {
        let bytes = input.bytes
        guard let record = try? LedgerRecord(bytes: bytes) else { return }
        let lines =
            "\(LedgerRecord.header)\nseq \(record.seq)\ntime \(Timestamp.format(millis: record.timeMillis))\n"
            + "prev \(record.prev.base64)\n"
        let spelled = Array(lines.utf8) + record.envelope.canonicalJSON + [0x0A]
        require(
            spelled == bytes,
            "the record reads, but is not spelled as read:\n\(String(decoding: spelled, as: UTF8.self))")
        if record.timeMillis >= 0 {
            let encoded: [UInt8]
            do { encoded = try record.encoded() } catch { fatalError("a record that reads does not encode: \(error)") }
            require(encoded == bytes, "the record reads, but encodes to other bytes")
        }
        _ = record.envelope.verifySignatures()
    }
}
