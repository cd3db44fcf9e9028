import Crypto
import Foundation
import Testing

@testable import TransparencyLog

/// The witness's add-checkpoint rules (C2SP tlog-witness), each outcome.
struct WitnessTests {
    let log = try! Ed25519NoteSigner(name: "example.com/log", privateKey: .init())
    let cosigner = try! Cosigner(name: "witness.example", privateKey: .init())

    /// A log of `size` leaves "leaf i" and its signed checkpoint.
    func checkpoint(size: Int, prefix: String = "leaf", signer: Ed25519NoteSigner? = nil) throws -> (SignedNote, [Hash])
    {
        let leaves = (0..<size).map { Merkle.leafHash(Array("\(prefix) \($0)".utf8)) }
        let root = Merkle.rootHash(leafHashes: leaves)
        let body = try Checkpoint(origin: "example.com/log", size: Int64(size), root: root)
        let key = signer ?? log
        return (try SignedNote(text: body.text, signatures: [key.sign(body.text)]), leaves)
    }

    /// The consistency proof from `oldSize` to all of `leaves`, read from the stored-hash layout.
    func consistencyProof(_ leaves: [Hash], oldSize: Int64) -> [Hash] {
        var range = CompactRange()
        var stored: [Hash] = []
        for leaf in leaves { range.append(leaf, into: &stored) }
        let plan = HashReadPlan.consistencyProof(oldSize: oldSize, newSize: Int64(leaves.count))
        return plan.combine(plan.indices.map { stored[Int($0)] })
    }

    @Test func aWitnessCosignsConsistentGrowthAndRefusesEverythingElse() throws {
        let witness = Witness(cosigner: cosigner, logs: [log.verifier])
        let (first, _) = try checkpoint(size: 5)
        guard
            case .cosigned(let signature, let state) = witness.addCheckpoint(
                WitnessRequest(oldSize: 0, proof: [], checkpoint: first), state: WitnessState(),
                timestamp: 1_800_000_000)
        else {
            Issue.record("the first checkpoint was not cosigned")
            return
        }
        var cosigned = first
        cosigned.add(signature)
        #expect(cosigned.verify([cosigner.verifier]) == .verified(["witness.example"]))
        #expect(state.logs["example.com/log"]?.size == 5)

        let (second, leaves) = try checkpoint(size: 9)
        let proof = consistencyProof(leaves, oldSize: 5)
        guard
            case .cosigned(_, let grown) = witness.addCheckpoint(
                WitnessRequest(oldSize: 5, proof: proof, checkpoint: second), state: state, timestamp: 1_800_000_100)
        else {
            Issue.record("consistent growth was not cosigned")
            return
        }
        #expect(grown.logs["example.com/log"]?.size == 9)

        // 409: the client's old size is not the witness's.
        #expect(
            witness.addCheckpoint(WitnessRequest(oldSize: 0, proof: [], checkpoint: second), state: state, timestamp: 0)
                == .conflict(size: 5, "the witness's latest checkpoint of 'example.com/log' has size 5"))
        // 422: a proof that does not verify (the tree of another history).
        let (forked, forkedLeaves) = try checkpoint(size: 9, prefix: "forged")
        let forkedProof = consistencyProof(forkedLeaves, oldSize: 5)
        guard
            case .unprocessable = witness.addCheckpoint(
                WitnessRequest(oldSize: 5, proof: forkedProof, checkpoint: forked), state: state, timestamp: 0)
        else {
            Issue.record("a forked history was cosigned")
            return
        }
        // 409: the same size with another root is a split view.
        let (split, _) = try checkpoint(size: 5, prefix: "forged")
        guard
            case .conflict(5, _) = witness.addCheckpoint(
                WitnessRequest(oldSize: 5, proof: [], checkpoint: split), state: state, timestamp: 0)
        else {
            Issue.record("a split view was not refused")
            return
        }
        // 403, 404, 400.
        let stranger = try Ed25519NoteSigner(name: "example.com/log", privateKey: .init())
        let (unsigned, _) = try checkpoint(size: 9, signer: stranger)
        guard
            case .forbidden = witness.addCheckpoint(
                WitnessRequest(oldSize: 5, proof: proof, checkpoint: unsigned), state: state, timestamp: 0)
        else {
            Issue.record("a checkpoint by an untrusted key was cosigned")
            return
        }
        guard
            case .unknownOrigin = Witness(cosigner: cosigner, logs: []).addCheckpoint(
                WitnessRequest(oldSize: 0, proof: [], checkpoint: first), state: WitnessState(), timestamp: 0)
        else {
            Issue.record("an unknown log was cosigned")
            return
        }
        guard
            case .badRequest = witness.addCheckpoint(
                WitnessRequest(oldSize: 10, proof: [], checkpoint: second), state: state, timestamp: 0)
        else {
            Issue.record("old size above the checkpoint's was accepted")
            return
        }
    }

    @Test func requestsRoundTripAndBadOnesAreRefused() throws {
        let (note, leaves) = try checkpoint(size: 9)
        let request = WitnessRequest(oldSize: 5, proof: consistencyProof(leaves, oldSize: 5), checkpoint: note)
        #expect(try WitnessRequest(parsing: request.encoded) == request)
        #expect(request.encoded.hasPrefix("old 5\n"))
        for bad in [
            "", "old x\n\n" + note.encoded, "old 05\n\n" + note.encoded, "new 5\n\n" + note.encoded,
            "old 5\nnot base64\n\n" + note.encoded,
        ] {
            #expect(throws: LogError.self) { try WitnessRequest(parsing: bad) }
        }
    }
}
