import FuzzSupport
import TransparencyLog

/// A C2SP tlog-proof (`TlogProof(parsing:)`), what a verifier receives with an entry: what parses encodes to a
/// proof that parses to the same. Verifying it against `Specs/vectors/records.json`'s log key must give a value,
/// never a trap, whatever the index and path.
@main
enum FuzzTlogProof: FuzzTarget {
    static func fuzz(_ input: FuzzInput) {
        guard let proof = try? TlogProof(parsing: input.text) else { return }
        require((try? TlogProof(parsing: proof.encoded)) == proof, "the proof's encoding parses to another proof")
        _ = proof.verify(entry: Array("entry".utf8), log: log)
    }
}

let log = try! Ed25519NoteVerifier(
    verifierKey: "example.com/threadline-test+ba5fb494+AawjBxu+n9nXcyS4cD+6u1LRSHDSQF95pa62+4fzzjaq")
