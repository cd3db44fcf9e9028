import Crypto
import Foundation
import Testing

@testable import TransparencyLog

struct SignedNoteTests {
    static let exampleNote = try! String(
        contentsOf: Fixtures.sharedVectors.appendingPathComponent("c2sp/signed-note-example.note"), encoding: .utf8)
    static let exampleKey = try! String(
        contentsOf: Fixtures.sharedVectors.appendingPathComponent("c2sp/signed-note-example.vkey"), encoding: .utf8
    ).trimmingCharacters(in: .newlines)

    @Test func theC2SPExampleVerifies() throws {
        let note = try SignedNote(parsing: Self.exampleNote)
        let verifier = try Ed25519NoteVerifier(verifierKey: Self.exampleKey)
        #expect(note.text == "This is an example message.\n")
        #expect(note.verify([verifier]) == .verified(["example.com/foo"]))
        #expect(verifier.verifierKey == Self.exampleKey.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func changingAnyByteOfTheTextBreaksIt() throws {
        let verifier = try Ed25519NoteVerifier(verifierKey: Self.exampleKey)
        let bytes = Array(Self.exampleNote.utf8)
        let textLength = try SignedNote(parsing: Self.exampleNote).text.utf8.count
        for i in 0..<textLength {
            var changed = bytes
            changed[i] = changed[i] == UInt8(ascii: "x") ? UInt8(ascii: "y") : UInt8(ascii: "x")
            let accepted = (try? SignedNote(parsing: String(decoding: changed, as: UTF8.self)))?.verify([verifier])
                .isValid
            #expect(accepted != true, "byte \(i) changed and the note still verified")
        }
    }

    @Test func unknownSignaturesAreIgnoredAndABadKnownOneRejects() throws {
        let key = try Ed25519NoteSigner(name: "example.com/log", privateKey: .init())
        let stranger = try Ed25519NoteSigner(name: "example.com/other", privateKey: .init())
        let text = "hello\n"
        var note = try SignedNote(text: text, signatures: [stranger.sign(text), key.sign(text)])
        #expect(note.verify([key.verifier]) == .verified(["example.com/log"]))
        #expect(note.verify([stranger.verifier, key.verifier]) == .verified(["example.com/other", "example.com/log"]))
        #expect(!note.verify([]).isValid)
        // Same name, other key: an unknown key, ignored; the note then has no known signature.
        let impostor = try Ed25519NoteSigner(name: "example.com/log", privateKey: .init())
        #expect(!note.verify([impostor.verifier]).isValid)
        // A known (name, key ID) whose signature does not verify rejects the note.
        let good = try key.sign(text)
        note.add(SignedNote.Signature(name: good.name, keyID: good.keyID, signature: [UInt8](repeating: 7, count: 64)))
        #expect(!note.verify([key.verifier]).isValid)
        let reparsed = try SignedNote(parsing: note.encoded)
        #expect(reparsed == note)
    }

    @Test(arguments: [
        "no blank line\n— a AAAAAAAA\n", "text\n\n", "text\n\n— name\n", "text\n\n- name AAAAAAAAAA==\n",
        "text\n\n— name !!!!\n", "text\n\n— name AAAA\n", "text\n\n— na+me AAAAAAAAAA==\n",
        "te\u{7}xt\n\n— name AAAAAAAAAA==\n", "text\n\n— name AAAAAAAAAA==",
    ])
    func malformedNotesAreRefused(_ text: String) {
        #expect(throws: LogError.self) { try SignedNote(parsing: text) }
    }

    @Test func verifierKeysRoundTripAndCheckTheirID() throws {
        let signer = try Ed25519NoteSigner(name: "example.com/log", privateKey: .init())
        let vkey = signer.verifier.verifierKey
        #expect(try Ed25519NoteVerifier(verifierKey: vkey) == signer.verifier)
        let parts = vkey.split(separator: "+", maxSplits: 2)
        let wrongID = "\(parts[0])+00000000+\(parts[2])"
        #expect(throws: LogError.self) { try Ed25519NoteVerifier(verifierKey: wrongID) }
        #expect(throws: LogError.self) { try Ed25519NoteVerifier(verifierKey: "not a key") }
        let restored = try Ed25519NoteSigner(privateKeyString: signer.privateKeyString)
        #expect(restored.verifier == signer.verifier)
        #expect(throws: LogError.self) { try Ed25519NoteSigner(privateKeyString: "PRIVATE+KEY+x+00000000+AAAA") }
    }

    @Test func cosignaturesSignTheTimestampedMessage() throws {
        let log = try Ed25519NoteSigner(name: "example.com/log", privateKey: .init())
        let witness = try Cosigner(name: "witness.example/w1", privateKey: .init())
        let checkpoint = try Checkpoint(origin: "example.com/log", size: 5, root: Merkle.emptyRoot)
        var note = try SignedNote(text: checkpoint.text, signatures: [log.sign(checkpoint.text)])
        let cosignature = try witness.cosign(checkpointText: checkpoint.text, timestamp: 1_764_412_800)
        note.add(cosignature)
        #expect(CosignatureVerifier.timestamp(of: cosignature.signature) == 1_764_412_800)
        #expect(note.verify([log.verifier, witness.verifier]) == .verified(["example.com/log", "witness.example/w1"]))
        let parsedKey = try NoteKey.verifier(parsing: witness.verifier.verifierKey)
        #expect(parsedKey.keyID == witness.verifier.keyID)
        // A cosignature is not a plain note signature: the 0x01 key of the same name and key does not accept it.
        let plain = try Ed25519NoteVerifier(name: witness.name, publicKey: witness.verifier.publicKey)
        #expect(plain.keyID != witness.verifier.keyID)
        // Changing the timestamp breaks it.
        var tampered = cosignature.signature
        tampered[7] ^= 1
        #expect(!witness.verifier.verify(message: Array(checkpoint.text.utf8), signature: tampered))
    }
}
