import Crypto
import EPCIS
import Foundation
import LedgerRules
import LedgerStore
import Participants
import Statements
import TransparencyLog

/// The audit's second half: the checks that need the records in log order — the hash chain, every stored hash,
/// the checkpoints, the ledger's rules as they stood at each record, and the index's agreement — fed one checked
/// chunk at a time.
extension Auditor {
    struct InOrderChecks {
        private(set) var report = AuditReport()
        private let metadata: LedgerMetadata
        private let operatorKey: Ed25519NoteVerifier
        /// The checkpoints not yet reached, by size.
        private var checkpoints: ArraySlice<StoredCheckpoint>
        private let indexed: Int64
        private var rules: Rules
        private var range = CompactRange()
        private var prev = Hash.zero
        /// The stored hashes the records of a chunk give, reused from chunk to chunk.
        private var computed: [Hash] = []
        /// The erasures sealed records' openings claim, by the record said to have made them: `"<seq> <digest>"`.
        private var erasureClaims: [Int64: Set<String>] = [:]
        /// The sums of the digests of the index entries the indexed records' keys make, by block (`IndexDigest`),
        /// and the blocks holding a record whose keys are unknown.
        private var indexSums: [UInt64]
        private var unknownIndexBlocks: Set<Int> = []

        init(metadata: LedgerMetadata, checkpoints: [StoredCheckpoint], size: Int64, indexed: Int64) throws {
            self.metadata = metadata
            self.operatorKey = try Ed25519NoteVerifier(verifierKey: metadata.operatorKey)
            self.checkpoints = checkpoints[...]
            self.indexed = indexed
            indexSums = Array(repeating: 0, count: IndexDigest.blocks(below: indexed))
            report.checkpointSize = checkpoints.last?.size
            rules = Rules(registry: Registry(operatorKey: metadata.operatorKey))
            // Most records are events: room for all of them spares rehashing a growing table.
            rules.eventHashes.reserveCapacity(Int(size))
            rules.checkpointTexts = Set(checkpoints.compactMap { try? SignedNote(parsing: $0.note).text })
            checkCheckpoints(upTo: 0)
        }

        private mutating func note(_ finding: AuditFinding) {
            if report.findings.count < Auditor.maxFindings { report.findings.append(finding) }
        }

        /// Checks each checkpoint the tree has now reached against its root.
        private mutating func checkCheckpoints(upTo treeSize: Int64) {
            while let checkpoint = checkpoints.first, checkpoint.size <= treeSize {
                checkpoints = checkpoints.dropFirst()
                report.checkpoints += 1
                if let finding = Auditor.check(checkpoint, metadata: metadata, key: operatorKey, root: range.root) {
                    note(finding)
                }
            }
        }

        /// The next chunk of the log, in order.
        mutating func check(_ chunk: CheckedChunk) {
            var storedIndex = 0
            computed.removeAll(keepingCapacity: true)
            // By index, so each result is read where it is (an enumeration copied every one).
            for offset in chunk.checked.indices {
                let seq = chunk.span.lowerBound + Int64(offset)
                let result = chunk.checked[offset]
                check(result, seq: seq, chunk: chunk, storedIndex: &storedIndex)
                if seq < indexed {
                    report.indexedRecords += 1
                    if let digest = result.indexDigest {
                        indexSums[IndexDigest.block(of: seq)] &+= digest
                    } else {
                        unknownIndexBlocks.insert(IndexDigest.block(of: seq))
                    }
                }
                checkCheckpoints(upTo: seq + 1)
            }
            report.storedHashes += Int64(chunk.storedHashes.count)
        }

        /// One record: its findings, its place in the hash chain, the stored hashes it closes, and the rules.
        private mutating func check(_ result: Checked, seq: Int64, chunk: CheckedChunk, storedIndex: inout Int) {
            result.findings.forEach { note($0) }
            report.signatures += Int64(result.signatures)
            if let sealed = result.sealed {
                report.sealedRecords += 1
                report.disclosures += Int64(sealed.disclosures)
                report.erasedDisclosures += Int64(sealed.erased)
            }
            checkErasures(result, seq: seq)
            if let recordPrev = result.prev, recordPrev != prev {
                note(
                    AuditFinding(
                        code: .chainBroken, seq: seq,
                        message: seq == 0
                            ? "prev is \(recordPrev.base64); the first record's prev must be all zeros"
                            : "prev is \(recordPrev.base64) but record \(seq - 1)'s leaf hash is \(prev.base64)"))
            }
            prev = result.leaf
            let before = computed.count
            range.append(result.leaf, into: &computed)
            for i in before..<computed.count where computed[i] != chunk.storedHashes[storedIndex + i - before] {
                let index = StoredHashes.count(size: chunk.span.lowerBound) + Int64(storedIndex + i - before)
                note(
                    AuditFinding(
                        code: .storedHashMismatch, seq: seq,
                        message: i == before
                            ? "stored hash \(index) (this record's leaf hash) is not SHA-256(0x00 ‖ record bytes)"
                            : "stored hash \(index) (a subtree closed by this record) is not the hash of its children"))
            }
            storedIndex += computed.count - before
            report.records += 1
            if result.prev != nil {
                switch result.statement {
                case .event?: report.events += 1
                case .registry?: report.registryStatements += 1
                case .product?: report.productStatements += 1
                default: break
                }
                if let finding = rules.check(result.statement, signers: result.signers, at: seq) { note(finding) }
            }
        }

        /// Erasures (23 §7): each digest an opening lists as erased must be named by the erasure statement it says
        /// erased it, a later record; and each digest an erasure statement names must be so listed.
        private mutating func checkErasures(_ result: Checked, seq: Int64) {
            for erased in result.erasures {
                guard erased.by > seq else {
                    note(
                        AuditFinding(
                            code: .erasureInvalid, seq: seq,
                            message:
                                "the opening lists \(erased.digest) as erased by record \(erased.by), not a later one"))
                    continue
                }
                erasureClaims[erased.by, default: []].insert("\(seq) \(erased.digest)")
            }
            var claimed = erasureClaims.removeValue(forKey: seq) ?? []
            if case .erasure(let erasure, _)? = result.statement {
                for digest in erasure.digests where claimed.remove("\(erasure.record) \(digest)") == nil {
                    note(
                        AuditFinding(
                            code: .erasureInvalid, seq: seq,
                            message: "the erasure names \(digest) of record \(erasure.record), which that record's "
                                + "opening does not list as erased by it"))
                }
            }
            for claim in claimed.sorted() { note(unmatched(claim, by: seq)) }
        }

        /// The finding for an opening's claim (`"<seq> <digest>"`) that record `by` erased a digest it does not.
        private func unmatched(_ claim: String, by: Int64) -> AuditFinding {
            let parts = claim.split(separator: " ")
            return AuditFinding(
                code: .erasureInvalid, seq: Int64(parts[0]),
                message: "the opening lists \(parts[1]) as erased by record \(by), which does not erase it")
        }

        /// The blocks of the index to compare entry by entry, `storeSums` being the store's sums
        /// (`LedgerStore.indexDigests`): those whose sums disagree and those holding a record whose keys are
        /// unknown, the first `Auditor.indexBlocksInDetail` of them; and the other blocks whose sums disagree.
        func blocksToCompare(storeSums: [UInt64]) -> (inDetail: [Int], more: [Int]) {
            let disagreeing = indexSums.indices.filter { block in
                unknownIndexBlocks.contains(block)
                    || indexSums[block] != (block < storeSums.count ? storeSums[block] : 0)
            }
            return (
                Array(disagreeing.prefix(Auditor.indexBlocksInDetail)),
                disagreeing.dropFirst(Auditor.indexBlocksInDetail).filter { !unknownIndexBlocks.contains($0) }
            )
        }

        /// The records of one block whose index entries disagree with their keys (`Auditor.compareIndex`).
        mutating func noteIndex(_ records: [(Int64, Checked)]) {
            var disagreements = (missing: 0, extra: 0)
            for (seq, result) in records { compareIndex(result, seq: seq, disagreements: &disagreements) }
        }

        /// Blocks whose index disagrees with the log beyond those compared entry by entry.
        mutating func noteIndex(moreBlocks blocks: [Int]) {
            guard let first = blocks.first else { return }
            note(
                AuditFinding(
                    code: .indexMismatch, seq: nil,
                    message:
                        "the index disagrees with the log in \(blocks.count) more blocks of \(IndexDigest.blockSize) records, the first from record \(Int64(first) * IndexDigest.blockSize)"
                ))
        }

        /// At most three of each kind of index disagreement a block: `reindex` mends them all.
        private mutating func compareIndex(
            _ result: Checked, seq: Int64, disagreements: inout (missing: Int, extra: Int)
        ) {
            for key in result.missingKeys where disagreements.missing < 3 {
                disagreements.missing += 1
                note(AuditFinding(code: .indexMismatch, seq: seq, message: "the index lacks '\(key)'"))
            }
            for key in result.extraKeys where disagreements.extra < 3 {
                disagreements.extra += 1
                note(
                    AuditFinding(
                        code: .indexMismatch, seq: seq,
                        message: "the index has '\(key)', which this record does not name"))
            }
        }

        /// After the last record: checkpoints beyond the log.
        mutating func finish(size: Int64) {
            for (by, claims) in erasureClaims.sorted(by: { $0.key < $1.key }) {
                for claim in claims.sorted() { note(unmatched(claim, by: by)) }
            }
            erasureClaims = [:]
            for checkpoint in checkpoints {
                report.checkpoints += 1
                note(
                    AuditFinding(
                        code: .checkpointInvalid, seq: nil,
                        message: "checkpoint of size \(checkpoint.size) is beyond the log's \(size) records"))
            }
            checkpoints = []
        }
    }

    /// The ledger's rules, re-applied from the log alone: registry statements fold into the registry, events
    /// are checked against it as they stood, and event hashes must be unique.
    struct Rules {
        var registry: Registry
        /// Each event's CBV 2.0 hash digest, and the record that has it.
        var eventHashes: [Hash: Int64] = [:]
        /// Each other statement's digest (`Statement.digest`), and the record that has it.
        var statementDigests: [Hash: Int64] = [:]
        /// The texts of the stored checkpoints (each checked against the tree on its own).
        var checkpointTexts: Set<String> = []
        /// The serials whose hidden code is committed, and the record that committed it (24 §7).
        var commitments: [String: Int64] = [:]
        /// How many correct entries of each serial's code are recorded.
        var verifications: [String: Int] = [:]

        mutating func check(_ statement: RuleInput?, signers: [String], at seq: Int64) -> AuditFinding? {
            registry.skip(to: seq)
            defer { registry.skip(to: seq + 1) }
            switch statement {
            case .registry(_, let digest)?, .anchor(_, _, let digest)?, .erasure(_, let digest)?,
                .product(_, let digest)?, .verification(_, let digest)?, .opaque(let digest)?:
                // One lookup for the usual new statement; a replay puts the earlier record back.
                if let earlier = statementDigests.updateValue(seq, forKey: digest) {
                    statementDigests[digest] = earlier
                    return AuditFinding(
                        code: .duplicateStatement, seq: seq,
                        message: "the same statement (digest \(digest.hex)) is already record \(earlier)")
                }
            default: break
            }
            switch statement {
            case .registry(let change, _)?:
                // Statements recorded before freshness was required have no basis; they apply as they did.
                if let refusal = registry.refusal(of: change, signers: signers, at: seq, requiringBasis: false) {
                    return AuditFinding(code: .registryRefused, seq: seq, message: refusal.reason)
                }
                registry.apply(seq: seq, statement: change, signers: signers)
            case .product(let product, _)?:
                if let refusal = registry.refusal(of: product, signers: signers, at: seq) {
                    return AuditFinding(code: .productRefused, seq: seq, message: refusal.reason)
                }
                registry.apply(seq: seq, product: product)
            case .commitment(let commitment, _)?:
                if let earlier = commitments[commitment.product] {
                    return AuditFinding(
                        code: .duplicateStatement, seq: seq,
                        message: "the hidden code of \(commitment.product) is already committed at record \(earlier)")
                }
                if let refusal = registry.ownerRefusal(
                    gtin: commitment.gtin, signers: signers, at: seq, what: "a commitment")
                {
                    return AuditFinding(code: .codeRefused, seq: seq, message: refusal.reason)
                }
                commitments[commitment.product] = seq
            case .verification(let verification, _)?:
                guard signers == [registry.operatorKey] else {
                    return AuditFinding(
                        code: .codeRefused, seq: seq, message: "a code verification is recorded by the operator alone")
                }
                guard commitments[verification.product] != nil else {
                    return AuditFinding(
                        code: .codeRefused, seq: seq,
                        message: "\(verification.product) is verified, but no earlier record commits its hidden code")
                }
                let expected = (verifications[verification.product] ?? 0) + 1
                guard verification.number == expected else {
                    return AuditFinding(
                        code: .codeRefused, seq: seq,
                        message: "the verification of \(verification.product) is number \(verification.number), "
                            + "but it is the \(expected)th recorded")
                }
                verifications[verification.product] = expected
            case .anchor(let checkpoint, let token, _)?:
                guard signers.contains(registry.operatorKey) else {
                    return AuditFinding(
                        code: .anchorInvalid, seq: seq, message: "the anchor is not signed by the operator key")
                }
                guard checkpointTexts.contains(checkpoint) else {
                    return AuditFinding(
                        code: .anchorInvalid, seq: seq, message: "the anchored checkpoint is not a stored one")
                }
                do {
                    _ = try TimeStamp.parse(
                        token: token, imprint: Array(SHA256.hash(data: Array(checkpoint.utf8))), nonce: nil)
                } catch let error as any CodedError {
                    return AuditFinding(code: .anchorInvalid, seq: seq, message: error.reason)
                } catch {
                    return AuditFinding(code: .anchorInvalid, seq: seq, message: "\(error)")
                }
            case .erasure?:
                guard signers.contains(registry.operatorKey) else {
                    return AuditFinding(
                        code: .erasureInvalid, seq: seq, message: "the erasure is not signed by the operator key")
                }
            case .event(let digest, let demands)?:
                // One lookup for the usual new event; a duplicate puts the earlier record back.
                if let earlier = eventHashes.updateValue(seq, forKey: digest) {
                    eventHashes[digest] = earlier
                    return AuditFinding(
                        code: .duplicateEvent, seq: seq,
                        message: "the same event (\(EventHash.uri(of: digest))) is already record \(earlier)")
                }
                if let refusal = RecordingPolicy.refusal(
                    for: demands, signers: signers, registry: registry, at: seq)
                {
                    return AuditFinding(
                        code: refusal.code == .recordSigner ? .signerNotValid : .recordingRule, seq: seq,
                        message: refusal.reason)
                }
            default: break
            }
            return nil
        }
    }

    /// Checks a stored checkpoint: its signature by the operator key, its origin and size, and its root against
    /// the tree the records give.
    static func check(
        _ stored: StoredCheckpoint, metadata: LedgerMetadata, key: Ed25519NoteVerifier, root: Hash
    ) -> AuditFinding? {
        func invalid(_ message: String) -> AuditFinding {
            AuditFinding(code: .checkpointInvalid, seq: nil, message: "checkpoint of size \(stored.size): \(message)")
        }
        let note: SignedNote
        let body: Checkpoint
        do {
            note = try SignedNote(parsing: stored.note)
            body = try Checkpoint(text: note.text)
        } catch { return invalid("\(error)") }
        if case .invalid(let why) = note.verify([key]) { return invalid(why) }
        guard body.origin == metadata.origin else { return invalid("origin '\(body.origin)' is not this log's") }
        guard body.size == stored.size else { return invalid("its text says size \(body.size)") }
        guard body.root == root else {
            return AuditFinding(
                code: .checkpointRootMismatch, seq: nil,
                message: "checkpoint of size \(stored.size) has root \(body.root.base64), "
                    + "but the records give \(root.base64)")
        }
        return nil
    }
}
