import Foundation
import Statements
import Threadline
import TransparencyLog

/// A ledger reached through its server by a participant's client, which verifies and does not trust
/// (`Specs/22-client.md` §2): the operator's key is pinned; the client keeps the latest checkpoint it accepted in
/// a state file; every newer checkpoint must be proved consistent with it, and every record shown comes with an
/// inclusion proof that is checked. A fork or a rollback is exit 1, both checkpoints are kept as evidence, and
/// the state does not move.
struct RemoteLedger: Sendable {
    let server: ServerConnection
    /// The operator's verifier key, pinned.
    let log: Ed25519NoteVerifier
    let witnesses: [CosignatureVerifier]
    let quorum: Int
    /// The state file: the checkpoint this client trusts for this server (a `MonitorState`).
    let statePath: String

    /// The largest checkpoint or proof answer (each is a few hundred bytes).
    static let smallAnswer = 64 << 10

    // MARK: Checkpoints

    /// The server's latest checkpoint, verified and accepted (the state moves to it). A smaller tree than the
    /// one trusted is a rollback.
    func latestCheckpoint() async throws -> (note: SignedNote, body: Checkpoint) {
        let answer = try server.expect(try await server.get("/checkpoint", limit: Self.smallAnswer), "the checkpoint")
        let note: SignedNote
        do { note = try SignedNote(parsing: answer.text) } catch {
            throw CommandFailure(CommandFailure.verificationFailed, "the server's checkpoint does not parse: \(error)")
        }
        return (note, try await accept(note, latest: true))
    }

    /// Verifies `note` — the operator's signature, the witnesses' quorum, consistency with the trusted checkpoint
    /// — and moves the state to it when it is newer. An older checkpoint (an answer given before another client
    /// process moved the state) is accepted when proved consistent with the trusted one, unless it is the
    /// server's `latest`, which must never shrink.
    @discardableResult
    func accept(_ note: SignedNote, latest: Bool = false) async throws -> Checkpoint {
        guard case .verified(let names) = note.verify([log] + witnesses), names.contains(log.name) else {
            throw CommandFailure(CommandFailure.verificationFailed, "the checkpoint is not signed by '\(log.name)'")
        }
        guard names.count - 1 >= quorum else {
            throw CommandFailure(
                CommandFailure.verificationFailed,
                "\(names.count - 1) of the required \(quorum) witnesses cosigned the checkpoint")
        }
        let body = try Checkpoint(text: note.text)
        guard body.origin == log.name else {
            throw CommandFailure(CommandFailure.verificationFailed, "the checkpoint is for '\(body.origin)'")
        }
        guard FileManager.default.fileExists(atPath: statePath),
            let trusted = try? JSONDecoder().decode(
                MonitorState.self, from: Data(contentsOf: URL(fileURLWithPath: statePath)))
        else {
            if FileManager.default.fileExists(atPath: statePath) {
                throw CommandFailure(CommandFailure.inputRefused, "the state file \(statePath) does not read")
            }
            try keep(body, note)
            return body
        }
        guard trusted.origin == body.origin, let trustedRoot = Hash(base64: trusted.root) else {
            throw CommandFailure(
                CommandFailure.inputRefused,
                "the state file \(statePath) is for '\(trusted.origin)', not '\(body.origin)'")
        }
        if body.size == trusted.size {
            guard body.root == trustedRoot else {
                throw try MonitorFile.evidence(
                    statePath, trusted, note.encoded,
                    "split view: size \(body.size) has root \(body.root.base64), but \(trusted.root) was accepted before"
                )
            }
        } else if body.size > trusted.size {
            guard try await consistent(trusted.size, trustedRoot, body.size, body.root) else {
                throw try MonitorFile.evidence(
                    statePath, trusted, note.encoded,
                    "split view: the checkpoint of size \(body.size) is not consistent with size \(trusted.size)")
            }
            try keep(body, note)
        } else {
            guard !latest, try await consistent(body.size, body.root, trusted.size, trustedRoot) else {
                throw try MonitorFile.evidence(
                    statePath, trusted, note.encoded,
                    "rollback: the server shows size \(body.size), but size \(trusted.size) was accepted before")
            }
        }
        return body
    }

    /// Whether the server proves the tree of `old` size and root a prefix of the `new` one.
    private func consistent(_ old: Int64, _ oldRoot: Hash, _ new: Int64, _ newRoot: Hash) async throws -> Bool {
        let answer = try await server.get("/proofs/consistency?old=\(old)&new=\(new)", limit: Self.smallAnswer)
        if answer.status >= 500 { _ = try server.expect(answer, "a consistency proof") }
        guard answer.status == 200, let proof = answer.hashLines else { return false }
        return Proofs.verifyConsistency(oldSize: old, newSize: new, oldRoot: oldRoot, newRoot: newRoot, proof: proof)
    }

    private func keep(_ body: Checkpoint, _ note: SignedNote) throws {
        let folder = (statePath as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        try StateFile.write(
            try JSONEncoder().encode(
                MonitorState(origin: body.origin, size: body.size, root: body.root.base64, note: note.encoded)),
            to: statePath)
    }

    /// The consistency proof from tree size `old` to the server's latest checkpoint (accepted first), as the
    /// server gives it.
    func consistencyProof(from old: Int64) async throws -> [Hash] {
        let (_, latest) = try await latestCheckpoint()
        let answer = try server.expect(
            try await server.get("/proofs/consistency?old=\(old)&new=\(latest.size)", limit: Self.smallAnswer),
            "the consistency proof")
        guard let proof = answer.hashLines else {
            throw CommandFailure(CommandFailure.verificationFailed, "the server's consistency proof is not hashes")
        }
        return proof
    }

    // MARK: Records

    /// Record `seq` with its tlog-proof, both checked: the proof's checkpoint is accepted, and the record's leaf
    /// is in its tree at `seq`.
    func provedRecord(_ seq: Int64) async throws -> (record: [UInt8], proof: TlogProof) {
        let record = try server.expect(
            try await server.get("/records/\(seq)", limit: LedgerRecord.maxBytes + 1), "record \(seq)"
        ).body
        let proof = try await inclusionProof(seq)
        try await check(record, at: seq, in: proof)
        return (record, proof)
    }

    /// Record `seq`'s tlog-proof as the server gives it (not yet checked against a record).
    func inclusionProof(_ seq: Int64) async throws -> TlogProof {
        let text = try server.expect(
            try await server.get("/proofs/inclusion/\(seq)", limit: Self.smallAnswer), "the proof of record \(seq)"
        ).text
        do { return try TlogProof(parsing: text) } catch {
            throw CommandFailure(
                CommandFailure.verificationFailed, "the proof of record \(seq) does not parse: \(error)")
        }
    }

    /// Checks that `record` is leaf `seq` of the tree `proof` names, and accepts that checkpoint.
    func check(_ record: [UInt8], at seq: Int64, in proof: TlogProof) async throws {
        let body = try await accept(proof.checkpoint)
        guard proof.index == seq,
            Proofs.verifyInclusion(
                leafHash: Merkle.leafHash(record), index: seq, size: body.size, proof: proof.path, root: body.root)
        else {
            throw CommandFailure(
                CommandFailure.verificationFailed,
                "record \(seq) is not in the tree of size \(body.size) the server signed")
        }
    }
}
