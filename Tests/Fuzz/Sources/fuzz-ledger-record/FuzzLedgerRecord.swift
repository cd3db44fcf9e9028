import EPCIS
import FuzzSupport
import Statements

/// libFuzzer runs `fuzz` on every input.
@main
enum FuzzTarget {
    static func main() { runFuzzer { fuzz($0!, $1) } }
}

/// `LedgerRecord(bytes:)`, the strict reader of stored records (`Specs/03-statements.md` §Record). Records are
/// hashed as stored, so the reader takes one spelling only: whatever it accepts is exactly the spec's five lines
/// written from what it read. The writer (`encoded()`) must give the same bytes for any time it accepts; it refuses
/// times before 1970 (a clock check when appending), which the format and the reader allow (years 0000–9999).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = FuzzInput(data, size).bytes
    guard let record = try? LedgerRecord(bytes: bytes) else { return 0 }
    let lines =
        "\(LedgerRecord.header)\nseq \(record.seq)\ntime \(Timestamp.format(millis: record.timeMillis))\n"
        + "prev \(record.prev.base64)\n"
    let spelled = Array(lines.utf8) + record.envelope.canonicalJSON + [0x0A]
    require(
        spelled == bytes, "the record reads, but is not spelled as read:\n\(String(decoding: spelled, as: UTF8.self))")
    if record.timeMillis >= 0 {
        let encoded: [UInt8]
        do { encoded = try record.encoded() } catch { fatalError("a record that reads does not encode: \(error)") }
        require(encoded == bytes, "the record reads, but encodes to other bytes")
    }
    _ = record.envelope.verifySignatures()
    return 0
}
