import FuzzSupport
import Provenance

/// libFuzzer runs `fuzz` on every input.
@main
enum FuzzTarget {
    static func main() { runFuzzer { fuzz($0!, $1) } }
}

/// `LedgerRecord(bytes:)`, the strict reader of stored records (`Specs/03-statements.md` §Record). Records are
/// hashed as stored, so the reader takes one spelling only: whatever it accepts must encode to the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = FuzzInput(data, size).bytes
    guard let record = try? LedgerRecord(bytes: bytes) else { return 0 }
    let encoded: [UInt8]
    do { encoded = try record.encoded() } catch { fatalError("a record that reads does not encode: \(error)") }
    require(
        encoded == bytes, "the record reads, but encodes to other bytes:\n\(String(decoding: encoded, as: UTF8.self))")
    _ = record.envelope.verifySignatures()
    return 0
}
