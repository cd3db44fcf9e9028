import FuzzSupport
import TransparencyLog

/// The verifier keys of `Specs/vectors/signed-note.json` (its log and its witness), so that notes grown from the
/// vector's seeds reach signature checking and cosignature timestamps.
let verifiers: [any NoteVerifier] = [
    "example.com/threadline-test+ba5fb494+AawjBxu+n9nXcyS4cD+6u1LRSHDSQF95pa62+4fzzjaq",
    "witness.example/w1+1734c00b+BA2a3Ln/MMrT4L4lIvl/qJS7jT+9mJHBXV2/VFp01XcI",
].map { try! NoteKey.verifier(parsing: $0) }

/// A C2SP signed note (`SignedNote(parsing:)`), the checkpoint in its text (`Checkpoint(text:)`), its
/// (co)signatures, and the input as a checkpoint text and as a verifier key on their own. A parsed note encodes
/// to a note that parses to the same; a parsed checkpoint's text is exactly the input (one spelling of each size
/// and root).
@main
enum FuzzSignedNote: FuzzTarget {
    static func fuzz(_ input: FuzzInput) {
        let text = input.text
        if let note = try? SignedNote(parsing: text) {
            require((try? SignedNote(parsing: note.encoded)) == note, "the note's encoding parses to another note")
            if let checkpoint = try? Checkpoint(text: note.text) {
                require(checkpoint.text == note.text, "the note's checkpoint re-encodes differently")
            }
            for signature in note.signatures { _ = CosignatureVerifier.timestamp(of: signature.signature) }
            _ = note.verify(verifiers)
        }
        if let checkpoint = try? Checkpoint(text: text) {
            require(Array(checkpoint.text.utf8) == Array(text.utf8), "the checkpoint re-encodes differently")
        }
        if let verifier = try? NoteKey.verifier(parsing: text) {
            _ = verifier.verify(message: Array(text.utf8), signature: Array(repeating: 0, count: 72))
        }
    }
}
