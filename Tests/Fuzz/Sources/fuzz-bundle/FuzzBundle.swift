import FuzzSupport
import Statements
import Threadline

/// `ProductBundle(parsing:)`, a bundle file handed to a verifier by anyone (`Specs/14-bundles.md`). It takes only
/// the canonical encoding, so what parses encodes to the input; each record it carries is then read as a verifier
/// reads it.
@main
enum FuzzBundle: FuzzTarget {
    static func fuzz(_ input: FuzzInput) {
        let bytes = input.bytes
        guard let bundle = try? ProductBundle(parsing: bytes) else { return }
        require(bundle.encoded == bytes, "a bundle parsed from other bytes than its encoding")
        for entry in bundle.entries { _ = try? LedgerRecord(bytes: entry.record) }
    }
}
