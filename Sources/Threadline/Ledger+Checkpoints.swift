import Foundation
import LedgerRules
import LedgerStore
import Logging
import Participants
import Statements
import TransparencyLog

/// Checkpoints and witnesses (`Specs/02-transparency-log.md` §Checkpoints, `Specs/15-witness.md` §2): signing
/// checkpoints that never contradict the stored ones, and keeping witnesses' cosignatures.
extension Ledger {
    /// The latest signed checkpoint, signing a new one first if the log grew since (needs the operator key).
    /// Never signs a checkpoint that is not consistent with the latest stored one.
    public func checkpoint() async throws -> SignedNote {
        while true {
            let size = try await store.size()
            let latest = try await store.latestCheckpoint()
            let previous = try latest.map { try verifiedOnce($0) }
            if let latest, let previous, latest.size == size {
                return try await withCosignatures(previous.note, size: latest.size)
            }
            guard let signer else { throw LedgerError.noOperatorKey }
            let root = try await root(size: size)
            if let previous {
                let proof = try await consistencyProof(from: previous.body.size, to: size)
                guard
                    Proofs.verifyConsistency(
                        oldSize: previous.body.size, newSize: size, oldRoot: previous.body.root, newRoot: root,
                        proof: proof)
                else {
                    throw LedgerError.inconsistent(
                        "the log of size \(size) does not extend checkpoint \(previous.body.size)")
                }
            }
            let body = try Checkpoint(origin: metadata.origin, size: size, root: root)
            let note = try SignedNote(text: body.text, signatures: [signer.sign(body.text)])
            do {
                try await store.addCheckpoint(size: size, note: note.encoded)
                lastVerified = (StoredCheckpoint(size: size, note: note.encoded), note, body)
                logger.info("checkpoint signed", metadata: ["size": "\(size)", "root": "\(root.base64)"])
                return note
            } catch LedgerStoreError.staleCheckpoint {
                continue  // another process signed one meanwhile: start again from it
            }
        }
    }

    /// `note` with the witness cosignatures stored for its size (unparsable lines are left out).
    public func withCosignatures(_ note: SignedNote, size: Int64) async throws -> SignedNote {
        let lines = try await store.cosignatures(size: size)
        guard !lines.isEmpty else { return note }
        var cosigned = note
        for line in lines {
            if let parsed = try? SignedNote(parsing: note.text + "\n" + line + "\n"),
                let signature = parsed.signatures.first
            {
                cosigned.add(signature)
            }
        }
        return cosigned
    }

    /// The C2SP tlog-witness `add-checkpoint` request for the latest checkpoint, with a consistency proof from
    /// `oldSize` (the size the witness last cosigned; 0 the first time).
    public func witnessRequest(oldSize: Int64) async throws -> WitnessRequest {
        let note = try await checkpoint()
        let body = try Checkpoint(text: note.text)
        guard oldSize >= 0, oldSize <= body.size else { throw LedgerError.badTreeSize(oldSize, size: body.size) }
        let proof = oldSize == 0 ? [] : try await consistencyProof(from: oldSize, to: body.size)
        return WitnessRequest(oldSize: oldSize, proof: proof, checkpoint: note)
    }

    /// Keeps the cosignature lines (a witness's `add-checkpoint` response) that verify, with `witnesses`, over
    /// the latest checkpoint; returns the names of the witnesses whose cosignatures were kept.
    public func addCosignatures(_ response: String, witnesses: [CosignatureVerifier]) async throws -> [String] {
        let note = try await checkpoint()
        let body = try Checkpoint(text: note.text)
        let lines = response.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        var kept: [String] = []
        var names: [String] = []
        for line in lines {
            guard let parsed = try? SignedNote(parsing: note.text + "\n" + line + "\n"),
                case .verified(let signers) = parsed.verify(witnesses), let name = signers.first
            else { continue }
            kept.append(line)
            names.append(name)
        }
        guard !kept.isEmpty else {
            throw EngineError(
                .witnessCosignature,
                "no cosignature verifies with the given witness keys over checkpoint \(body.size)")
        }
        try await store.addCosignatures(size: body.size, lines: kept)
        return names
    }

    private func verifiedOnce(_ stored: StoredCheckpoint) throws -> (note: SignedNote, body: Checkpoint) {
        if let lastVerified, lastVerified.stored == stored { return (lastVerified.note, lastVerified.body) }
        let result = try verified(stored)
        lastVerified = (stored, result.note, result.body)
        return result
    }

    /// The latest stored checkpoint without signing anything, if there is one.
    public nonisolated func latestCheckpoint() async throws -> SignedNote? {
        try await store.latestCheckpoint().map { try verified($0).note }
    }

    private nonisolated func verified(_ stored: StoredCheckpoint) throws -> (note: SignedNote, body: Checkpoint) {
        let note: SignedNote
        let body: Checkpoint
        do {
            note = try SignedNote(parsing: stored.note)
            body = try Checkpoint(text: note.text)
        } catch {
            throw LedgerError.inconsistent("the stored checkpoint of size \(stored.size) is malformed: \(error)")
        }
        guard note.verify([operatorVerifier]).isValid else {
            throw LedgerError.inconsistent("the stored checkpoint of size \(stored.size) is not signed by the operator")
        }
        guard body.size == stored.size, body.origin == metadata.origin else {
            throw LedgerError.inconsistent("the stored checkpoint of size \(stored.size) does not match its row")
        }
        return (note, body)
    }
}
