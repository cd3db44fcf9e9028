import FuzzSupport
import Statements
import Threadline

/// libFuzzer runs `fuzz` on every input.
@main
enum FuzzTarget {
    static func main() { runFuzzer { fuzz($0!, $1) } }
}

/// `ProductBundle(parsing:)`, a bundle file handed to a verifier by anyone (`Specs/14-bundles.md`). It takes only
/// the canonical encoding, so what parses encodes to the input; each record it carries is then read as a verifier
/// reads it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = FuzzInput(data, size).bytes
    guard let bundle = try? ProductBundle(parsing: bytes) else { return 0 }
    require(bundle.encoded == bytes, "a bundle parsed from other bytes than its encoding")
    for entry in bundle.entries { _ = try? LedgerRecord(bytes: entry.record) }
    return 0
}
