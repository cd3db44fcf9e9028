import FuzzSupport
import TransparencyLog

/// libFuzzer runs `fuzz` on every input.
@main
enum FuzzTarget {
    static func main() { runFuzzer { fuzz($0!, $1) } }
}

/// A C2SP tlog-proof (`TlogProof(parsing:)`), what a verifier receives with an entry: what parses encodes to a
/// proof that parses to the same. Verifying it against `Specs/vectors/records.json`'s log key must give a value,
/// never a trap, whatever the index and path.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let proof = try? TlogProof(parsing: FuzzInput(data, size).text) else { return 0 }
    require((try? TlogProof(parsing: proof.encoded)) == proof, "the proof's encoding parses to another proof")
    _ = proof.verify(entry: Array("entry".utf8), log: log)
    return 0
}

let log = try! Ed25519NoteVerifier(
    verifierKey: "example.com/threadline-test+ba5fb494+AawjBxu+n9nXcyS4cD+6u1LRSHDSQF95pa62+4fzzjaq")
